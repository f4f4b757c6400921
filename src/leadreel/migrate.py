"""Run Alembic migrations from code, so `leadreel db upgrade` and app start-up share one path."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


#: Search structures the models cannot declare (migration 0008): SQLite FTS5 tables and
#: their shadow tables, PostgreSQL trigram indexes, and the custom fields' sort indexes
#: made on demand (services/leads/custom_fields.py). Autogenerate and the models-vs-
#: migrations test leave them alone.
UNMODELLED_PREFIXES = (
    "lead_fts",
    "company_fts",
    "ix_leads_search_",
    "ix_companies_search_",
    "ix_leads_cf",
)


def include_object(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    """Alembic filter: skip the unmodelled search structures."""
    return not (reflected and compare_to is None and (name or "").startswith(UNMODELLED_PREFIXES))


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str = "base") -> None:
    command.downgrade(alembic_config(url), revision)


def revision(url: str, message: str) -> None:
    """Autogenerate a migration from the models (developers only)."""
    command.revision(alembic_config(url), message=message, autogenerate=True)
