"""Saved system prompts: the prompts a user saved from the page (the presets are files in `prompts/`)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, select, text
from sqlalchemy.exc import IntegrityError

from qa.store.database import Database
from qa.store.models import Meta, Prompt, now

LEGACY_IMPORTED = "legacy_prompts_imported"


class DuplicateName(ValueError):
    """Another saved prompt already has this name."""


class PromptStore:
    def __init__(self, db: Database):
        self.db = db

    def list(self) -> list[dict]:
        with self.db.session() as s:
            return [p.to_dict() for p in s.scalars(select(Prompt).order_by(Prompt.name))]

    def get(self, prompt_id: int) -> dict | None:
        with self.db.session() as s:
            prompt = s.get(Prompt, prompt_id)
            return prompt.to_dict() if prompt else None

    def find(self, name: str) -> dict | None:
        with self.db.session() as s:
            prompt = s.scalar(select(Prompt).where(Prompt.name == name))
            return prompt.to_dict() if prompt else None

    def add(self, name: str, text: str) -> dict:
        try:
            with self.db.write() as s:
                prompt = Prompt(name=name, text=text, updated_at=now())
                s.add(prompt)
                s.flush()
                return prompt.to_dict()
        except IntegrityError:
            raise DuplicateName(f"a saved prompt is already named {name!r}") from None

    def update(self, prompt_id: int, name: str | None = None, text: str | None = None) -> dict | None:
        try:
            with self.db.write() as s:
                prompt = s.get(Prompt, prompt_id)
                if prompt is None:
                    return None
                if name is not None:
                    prompt.name = name
                if text is not None:
                    prompt.text = text
                prompt.updated_at = now()
                s.flush()
                return prompt.to_dict()
        except IntegrityError:
            raise DuplicateName(f"a saved prompt is already named {name!r}") from None

    def delete(self, prompt_id: int) -> bool:
        with self.db.write() as s:
            prompt = s.get(Prompt, prompt_id)
            if prompt is None:
                return False
            s.delete(prompt)
            return True


def import_legacy_prompts(db: Database, path: str | Path) -> int:
    """Copy the saved prompts of an earlier version's SQLite file into `db`, once; returns how many came.

    Earlier versions kept saved prompts alone in `prompts.sqlite` in the instance folder. A
    name already taken in `db` keeps its prompt there. The file itself is left as it was.
    """
    path = Path(path)
    with db.session() as s:
        if s.get(Meta, LEGACY_IMPORTED) is not None:
            return 0
    rows = []
    if path.is_file():
        legacy = create_engine(f"sqlite:///{path.resolve()}")
        try:
            with legacy.connect() as conn:
                has_table = conn.execute(text("SELECT 1 FROM sqlite_master WHERE type='table' AND name='prompts'"))
                if has_table.first():
                    rows = conn.execute(text("SELECT name, text, updated_at FROM prompts ORDER BY id")).all()
        finally:
            legacy.dispose()
    added = 0
    with db.write() as s:
        if s.get(Meta, LEGACY_IMPORTED) is not None:  # another process did it meanwhile
            return 0
        taken = set(s.scalars(select(Prompt.name)))
        for name, body, _updated in rows:
            if name not in taken:
                s.add(Prompt(name=name, text=body, updated_at=now()))
                taken.add(name)
                added += 1
        s.add(Meta(key=LEGACY_IMPORTED, value=f"{added} from {path}"))
    return added
