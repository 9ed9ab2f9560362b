"""The job queue runs on SQLite and on PostgreSQL: each test gets a fresh database (a new file, or a new schema)."""

from tests.db_fixtures import db, db_url  # noqa: F401  (shared with the other database suites)
