"""First-run setup: core fields, users, the demo data."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from leadreel.fields import CORE_FIELDS
from leadreel.models import FieldDefinition, User
from leadreel.security import hash_password


def seed_core_fields(session: Session) -> int:
    """Insert or refresh the core FieldDefinitions; returns how many were added."""
    existing = {f.key: f for f in session.scalars(select(FieldDefinition))}
    added = 0
    for position, spec in enumerate(CORE_FIELDS):
        row = existing.get(spec.key)
        if row is None:
            row = FieldDefinition(key=spec.key)
            session.add(row)
            added += 1
        row.label, row.type, row.entity = spec.label, spec.type, spec.entity
        row.synonyms, row.is_core, row.position = list(spec.synonyms), True, position
    return added


def create_user(
    session: Session, email: str, password: str, role: str = "rep", name: str = ""
) -> User:
    """Validate and add a user; the caller commits."""
    from leadreel.errors import ValidationError
    from leadreel.models import ROLES

    email = email.strip().lower()
    if "@" not in email:
        raise ValidationError(f"not an email address: {email!r}")
    if role not in ROLES:
        raise ValidationError(f"unknown role {role!r}; choose one of {', '.join(ROLES)}")
    if len(password) < 8:
        raise ValidationError("password must have at least 8 characters")
    if session.scalar(select(User).where(User.email == email)):
        raise ValidationError(f"a user with email {email} exists already")
    user = User(
        email=email,
        password_hash=hash_password(password),
        role=role,
        name=name or email.split("@")[0],
    )
    session.add(user)
    session.flush()
    return user
