"""The one permission check. Every route and every AI tool asks ``can`` or scopes a query here.

Roles:
- admin: everything, including users, settings and storage accounts;
- manager: all leads, batches, templates, exports, renders and the task queue;
- rep: only the leads and batches they own (imported or were assigned).
"""

from __future__ import annotations

from typing import Any, Protocol, TypeVar

from sqlalchemy import Select

from leadreel.errors import PermissionDenied
from leadreel.models import ImportBatch, Lead

#: Named access types and the roles that hold them.
ACCESS: dict[str, frozenset[str]] = {
    "users.manage": frozenset({"admin"}),
    "settings.manage": frozenset({"admin"}),
    "storage.manage": frozenset({"admin"}),
    "leads.view_all": frozenset({"admin", "manager"}),
    "leads.assign": frozenset({"admin", "manager"}),
    "leads.import": frozenset({"admin", "manager", "rep"}),
    "leads.edit": frozenset({"admin", "manager", "rep"}),
    "leads.delete": frozenset({"admin", "manager", "rep"}),
    "templates.manage": frozenset({"admin", "manager"}),
    "media.manage": frozenset({"admin", "manager"}),
    "renders.start": frozenset({"admin", "manager", "rep"}),
    "videos.share": frozenset({"admin", "manager", "rep"}),
    "uploads.start": frozenset({"admin", "manager", "rep"}),
    "exports.run": frozenset({"admin", "manager", "rep"}),
    "exports.manage": frozenset({"admin", "manager"}),
    "tasks.view": frozenset({"admin", "manager"}),
    "tasks.manage": frozenset({"admin", "manager"}),
    "chat.use": frozenset({"admin", "manager", "rep"}),
}


class Actor(Protocol):
    id: int
    role: str


T = TypeVar("T")


def can(user: Actor | None, action: str, obj: Any = None) -> bool:
    """May ``user`` do ``action`` (on ``obj`` when given)?"""
    if user is None or getattr(user, "is_active", True) is False:
        return False
    roles = ACCESS.get(action)
    if roles is None:
        raise KeyError(f"unknown access type {action!r}")
    if user.role not in roles:
        return False
    if obj is None or user.role in ("admin", "manager"):
        return True
    return _owns(user, obj)


def require(user: Actor | None, action: str, obj: Any = None) -> None:
    if not can(user, action, obj):
        raise PermissionDenied(f"not allowed: {action}")


def _owns(user: Actor, obj: Any) -> bool:
    if isinstance(obj, (Lead, ImportBatch)):
        return obj.owner_id == user.id
    owner = getattr(obj, "owner_id", None)
    return owner is None or owner == user.id


def scope_leads(query: Select[Any], user: Actor) -> Select[Any]:
    """Restrict a lead query to what the user may see."""
    if can(user, "leads.view_all"):
        return query
    return query.where(Lead.owner_id == user.id)


def scope_batches(query: Select[Any], user: Actor) -> Select[Any]:
    if can(user, "leads.view_all"):
        return query
    return query.where(ImportBatch.owner_id == user.id)
