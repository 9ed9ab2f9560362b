"""The review: a log of review actions (for undo) and an index on pairs' scores (score range filters, score sorts).

Revision ID: 0101_review
Revises: 0001_initial
"""

import sqlalchemy as sa
from alembic import op

revision = "0101_review"
down_revision = "0001_initial"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "review_actions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("count", sa.Integer, nullable=False),
        sa.Column("changes", sa.JSON, nullable=False),
        sa.Column("undone", sa.Boolean, nullable=False),
    )
    op.create_index("ix_review_actions_undone", "review_actions", ["undone"])
    op.create_index("ix_pairs_score", "pairs", ["score"])


def downgrade() -> None:
    op.drop_index("ix_pairs_score", "pairs")
    op.drop_table("review_actions")
