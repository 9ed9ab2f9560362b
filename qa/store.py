"""Saved system prompts in an embedded SQLite database, through SQLAlchemy.

The presets live as files in `prompts/`; this store holds the prompts a user
saved from the page, so they survive restarts.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import DateTime, Integer, String, Text, create_engine, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

NAME_MAX = 100
TEXT_MAX = 20000


class _Base(DeclarativeBase):
    pass


class SavedPrompt(_Base):
    __tablename__ = "prompts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_MAX), unique=True)
    text: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    def to_dict(self) -> dict:
        return {"id": self.id, "name": self.name, "text": self.text, "preset": False,
                "updated_at": self.updated_at.isoformat()}


class DuplicateName(ValueError):
    """Another saved prompt already has this name."""


class PromptStore:
    def __init__(self, path: str | Path):
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.engine = create_engine(f"sqlite:///{path}")
        _Base.metadata.create_all(self.engine)

    def list(self) -> list[dict]:
        with Session(self.engine) as s:
            return [p.to_dict() for p in s.scalars(select(SavedPrompt).order_by(SavedPrompt.name))]

    def get(self, prompt_id: int) -> dict | None:
        with Session(self.engine) as s:
            prompt = s.get(SavedPrompt, prompt_id)
            return prompt.to_dict() if prompt else None

    def add(self, name: str, text: str) -> dict:
        with Session(self.engine) as s:
            return _commit(s, SavedPrompt(name=name, text=text, updated_at=_now()))

    def update(self, prompt_id: int, name: str | None = None, text: str | None = None) -> dict | None:
        with Session(self.engine) as s:
            prompt = s.get(SavedPrompt, prompt_id)
            if prompt is None:
                return None
            if name is not None:
                prompt.name = name
            if text is not None:
                prompt.text = text
            prompt.updated_at = _now()
            return _commit(s, prompt)

    def delete(self, prompt_id: int) -> bool:
        with Session(self.engine) as s:
            prompt = s.get(SavedPrompt, prompt_id)
            if prompt is None:
                return False
            s.delete(prompt)
            s.commit()
            return True


def _commit(session: Session, prompt: SavedPrompt) -> dict:
    name = prompt.name
    session.add(prompt)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise DuplicateName(f"a saved prompt is already named {name!r}") from None
    return prompt.to_dict()


def _now() -> datetime:
    return datetime.now(timezone.utc)
