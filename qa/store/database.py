"""The engine and session factory for SQLite (WAL, the default) or any SQLAlchemy URL, migrated at open.

`open_database(url)` creates the engine, applies every Alembic migration not yet
applied (under a lock, so processes starting together do not race) and returns a
`Database`. `db.session()` is a plain session for reading; `db.write()` is a
transaction that commits on leaving (on SQLite it begins IMMEDIATE, so two
writers queue on the lock instead of failing halfway).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
DEFAULT_FILE = "qapair.sqlite"
BUSY_TIMEOUT_MS = 30_000
_PG_LOCK = 7_250_410_917  # pg_advisory_lock key of the migrations


def resolve_url(configured: str | None = None, legacy_file: str | None = None,
                instance: str | Path | None = None) -> str:
    """The database URL: $DATABASE_URL, else the config's `database_url`, else the legacy `prompts_db` file,
    else qapair.sqlite in the instance folder (or the working directory)."""
    url = os.environ.get("DATABASE_URL") or configured
    if url:
        return url
    path = Path(legacy_file) if legacy_file else Path(instance or ".") / DEFAULT_FILE
    return f"sqlite:///{path.resolve()}"


def _engine(url: str, immediate: bool, **kwargs) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        if parsed.drivername in ("postgresql", "postgres"):
            parsed = parsed.set(drivername="postgresql+psycopg")  # psycopg 3, not psycopg2
        return create_engine(parsed, pool_pre_ping=True, **kwargs)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(parsed, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
                           **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # we say BEGIN ourselves (below)
        cursor = dbapi_connection.cursor()
        for pragma in ("journal_mode=WAL", "foreign_keys=ON", f"busy_timeout={BUSY_TIMEOUT_MS}",
                       "synchronous=NORMAL"):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


class Database:
    """One database: a reading engine and a writing one (the same engine except on SQLite)."""

    def __init__(self, url: str, **engine_kwargs):
        self.url = url
        self.engine = _engine(url, immediate=False, **engine_kwargs)
        self.dialect = self.engine.dialect.name
        self.write_engine = _engine(url, immediate=True, **engine_kwargs) if self.dialect == "sqlite" else self.engine
        self._read = sessionmaker(self.engine, expire_on_commit=False)
        self._write = sessionmaker(self.write_engine, expire_on_commit=False)

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    def session(self) -> Session:
        """A session for reading (use it as a context manager)."""
        return self._read()

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A transaction: committed when the block ends, rolled back if it raises."""
        with self._write() as session, session.begin():
            yield session

    def migrate(self) -> None:
        """Apply every migration not yet applied (idempotent; safe when several processes start together)."""
        from alembic import command
        from alembic.config import Config

        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        with self.write_engine.connect() as connection:
            if self.dialect == "postgresql":
                connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": _PG_LOCK})
                connection.commit()
            try:
                config.attributes["connection"] = connection
                command.upgrade(config, "head")
            finally:
                if self.dialect == "postgresql":
                    connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": _PG_LOCK})
                    connection.commit()

    def close(self) -> None:
        self.engine.dispose()
        if self.write_engine is not self.engine:
            self.write_engine.dispose()

    def __repr__(self) -> str:
        return f"Database({re.sub(r'://[^@/]*@', '://***@', self.url)!r})"


def open_database(url: str, **engine_kwargs) -> Database:
    """The database at `url`, with every migration applied."""
    db = Database(url, **engine_kwargs)
    db.migrate()
    return db
