"""Engine and session handling shared by the web app, the CLI and workers.

SQLite is the embedded default (WAL, foreign keys on, a busy timeout so a worker and the
web server can share one file); PostgreSQL is the production database.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, scoped_session, sessionmaker


def make_engine(url: str, **kwargs: object) -> Engine:
    """Create an engine with the pragmas each backend needs."""
    if url.startswith("sqlite"):
        engine = create_engine(
            url, connect_args={"timeout": 30, "check_same_thread": False}, **kwargs
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            # Let SQLAlchemy emit BEGIN itself so BEGIN IMMEDIATE works for the queue.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn):  # type: ignore[no-untyped-def]
            mode = conn.get_execution_options().get("sqlite_begin", "")
            conn.exec_driver_sql(f"BEGIN {mode}".strip())

        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


class Database:
    """Holds the engine and a request-scoped session; bound to an app in ``init_app``."""

    def __init__(self) -> None:
        self.engine: Engine | None = None
        #: Same pool; on SQLite its transactions start with BEGIN IMMEDIATE (see ``for_writing``).
        self.write_engine: Engine | None = None
        self.session_factory: sessionmaker[Session] | None = None
        self.scoped: scoped_session[Session] | None = None

    def configure(self, url: str) -> None:
        self.engine = make_engine(url)
        self.write_engine = self.engine.execution_options(sqlite_begin="IMMEDIATE")
        self.session_factory = sessionmaker(self.engine, expire_on_commit=False)
        self.scoped = scoped_session(self.session_factory)

    def init_app(self, app) -> None:  # type: ignore[no-untyped-def]
        self.configure(app.config["SETTINGS"].resolved_database_url())
        app.teardown_appcontext(self._remove)

    def _remove(self, _exc: BaseException | None = None) -> None:
        if self.scoped is not None:
            self.scoped.remove()

    def for_writing(self) -> None:
        """Make this request's session take SQLite's write lock when its transactions begin.

        A deferred transaction that has read (the login loads the user) cannot be upgraded
        to a write once a worker has committed meanwhile: SQLite answers "database is
        locked" at once, whatever the busy timeout. Starting with BEGIN IMMEDIATE waits for
        the lock instead. PostgreSQL needs nothing.
        """
        if self.engine is not None and self.engine.dialect.name == "sqlite":
            self.session.bind = self.write_engine

    @property
    def session(self) -> Session:
        """The current request's (or thread's) session."""
        assert self.scoped is not None, "Database not configured"
        return self.scoped()

    @contextmanager
    def new_session(self) -> Iterator[Session]:
        """A standalone session for workers and scripts; the caller commits."""
        assert self.session_factory is not None, "Database not configured"
        session = self.session_factory()
        try:
            yield session
        finally:
            session.close()

    def dispose(self) -> None:
        self._remove()
        if self.engine is not None:
            self.engine.dispose()
