"""The review's own table: the log of review actions, so the last one can be undone."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from qa.store.models import Base, now


class ReviewAction(Base):
    """One edit or status change (of one pair or many), with what it replaced.

    `changes` for an edit: [{"id", "before": {field: old value}}]; for a status change:
    [{"status": old status, "ids": [...]}, ...], the pairs grouped by the status they had.
    """

    __tablename__ = "review_actions"
    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=now)
    kind: Mapped[str] = mapped_column(String(20))  # edit | status
    count: Mapped[int] = mapped_column(default=0)  # pairs changed
    changes: Mapped[list[Any]] = mapped_column(default=list)
    undone: Mapped[bool] = mapped_column(default=False, index=True)
