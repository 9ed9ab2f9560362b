"""The review's sorts: an index on pairs' support, so "least/most support" pages are read in order, not sorted.

Revision ID: 0102_review_sorts
Revises: 0101_review
"""

from alembic import op

revision = "0102_review_sorts"
down_revision = "0101_review"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_pairs_support", "pairs", ["support"])


def downgrade() -> None:
    op.drop_index("ix_pairs_support", "pairs")
