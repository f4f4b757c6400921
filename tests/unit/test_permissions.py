"""The one permission check, role by role."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from leadreel.errors import PermissionDenied
from leadreel.models import Lead
from leadreel.services.permissions import ACCESS, can, require


def user(role: str, uid: int = 1, active: bool = True) -> SimpleNamespace:
    return SimpleNamespace(id=uid, role=role, is_active=active)


@pytest.mark.parametrize("action", sorted(ACCESS))
def test_admin_can_everything(action):
    assert can(user("admin"), action)


@pytest.mark.parametrize(
    "action,allowed",
    [
        ("users.manage", False),
        ("storage.manage", False),
        ("tasks.view", True),
        ("leads.view_all", True),
        ("templates.manage", True),
    ],
)
def test_manager(action, allowed):
    assert can(user("manager"), action) is allowed


def test_rep_owns_only_their_leads():
    rep = user("rep", uid=7)
    assert can(rep, "leads.edit", Lead(owner_id=7))
    assert not can(rep, "leads.edit", Lead(owner_id=8))
    assert not can(rep, "leads.view_all")
    with pytest.raises(PermissionDenied):
        require(rep, "renders.start", Lead(owner_id=8))


def test_inactive_and_anonymous_can_nothing():
    assert not can(user("admin", active=False), "leads.edit")
    assert not can(None, "leads.edit")


def test_unknown_access_type_is_a_bug():
    with pytest.raises(KeyError):
        can(user("admin"), "leads.teleport")
