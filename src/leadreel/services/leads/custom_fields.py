"""Custom fields: a text expression per key, and its index.

A key's value is the defined field's (``Lead.custom``, where Exports → Fields keeps them,
e.g. a promoted "Lead Source"), else the import's kept column of that name (``Lead.extra``).

Why an index per key, made on demand: custom fields are whatever columns users' files
had, so the migration cannot know them. The first sort or filter on a key creates a
``(value, id)`` expression index for it (``CREATE INDEX IF NOT EXISTS``, a few seconds at a
million leads, once); from then on the sort is a keyset walk like the core columns'. The
expression is rendered literally (never a bound parameter), because a database matches an
expression index only against the very same expression.
"""

from __future__ import annotations

import hashlib
import logging
import re
from typing import Any

from sqlalchemy import ColumnElement, Engine, Text, event, select, text
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session

from leadreel.errors import ValidationError
from leadreel.models import FieldDefinition, Lead

log = logging.getLogger("leadreel.leads.custom_fields")
SAFE_KEY = re.compile(r"^[\w .,:/#()&+-]{1,100}$", re.UNICODE)
_made: set[tuple[str, str, str]] = set()


def check_key(key: str) -> str:
    key = key.strip()
    if not SAFE_KEY.match(key):
        raise ValidationError(f"custom field name {key!r} cannot be sorted or filtered on")
    return key


class ExtraText(ColumnElement[str]):
    """``Lead.custom[key]``, else ``Lead.extra[key]``, as text, rendered literally per dialect."""

    type = Text()
    inherit_cache = False

    def __init__(self, key: str, *, qualified: bool = True) -> None:
        self.key = check_key(key)
        self.qualified = qualified


def _sql_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


@compiles(ExtraText)
def _pg(element: ExtraText, compiler: Any, **kw: Any) -> str:
    prefix = "leads." if element.qualified else ""
    key = _sql_literal(element.key)
    return f"COALESCE({prefix}custom ->> {key}, {prefix}extra ->> {key})"


@compiles(ExtraText, "sqlite")
def _sqlite(element: ExtraText, compiler: Any, **kw: Any) -> str:
    prefix = "leads." if element.qualified else ""
    path = _sql_literal('$."' + element.key.replace('"', "") + '"')
    return f"COALESCE(json_extract({prefix}custom, {path}), json_extract({prefix}extra, {path}))"


def extra_text(key: str) -> ColumnElement[str]:
    return ExtraText(key)


def index_name(key: str) -> str:
    """The key's index; "v2": the expression reads ``custom`` before ``extra``."""
    return "ix_leads_cf2_" + hashlib.sha1(key.encode()).hexdigest()[:12]


def ensure_index(engine: Engine, key: str) -> bool:
    """Create the key's sort index (in its own transaction) unless this process made it
    already; True when it ran the DDL."""
    key = check_key(key)
    dialect = engine.dialect.name
    if (dialect, key, str(engine.url)) in _made:
        return False
    expression = ExtraText(key, qualified=False).compile(dialect=engine.dialect)
    ddl = f"CREATE INDEX IF NOT EXISTS {index_name(key)} ON leads ({expression}, id)"
    with engine.begin() as conn:
        conn.execute(text(ddl))
    _made.add((dialect, key, str(engine.url)))
    log.info("custom field index ready for %r", key)
    return True


def known_keys(session: Session, sample: int = 200) -> list[str]:
    """Custom field keys to offer: defined fields, then keys seen on the newest leads.

    Remembered for the session (one request): the column chooser and the table header both
    ask, and each answer reads ``sample`` leads' extra fields.
    """
    remembered = session.info.get("custom_field_keys")
    if remembered is not None and remembered[0] == sample:
        return list(remembered[1])
    keys = _known_keys(session, sample)
    session.info["custom_field_keys"] = (sample, keys)
    return list(keys)


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_soft_rollback")
def _forget_keys(session: Session, *_args: Any) -> None:
    """A commit may have added a field or leads with new keys: ask again next time."""
    session.info.pop("custom_field_keys", None)


def _known_keys(session: Session, sample: int) -> list[str]:
    keys = list(
        session.scalars(
            select(FieldDefinition.key)
            .where(FieldDefinition.is_core.is_(False), FieldDefinition.entity == "lead")
            .order_by(FieldDefinition.position)
        )
    )
    for extra in session.scalars(select(Lead.extra).order_by(Lead.id.desc()).limit(sample)):
        for key in extra or {}:
            if key not in keys and SAFE_KEY.match(str(key)):
                keys.append(str(key))
    return keys[:50]
