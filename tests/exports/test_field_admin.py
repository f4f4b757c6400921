"""Custom fields: create, rename (values and templates follow), delete with a count that
must match, promote an import's extra column; only admins and managers may."""

from __future__ import annotations

import pytest

from leadreel.errors import PermissionDenied, ValidationError
from leadreel.models import ExportTemplate, ImportBatch, Lead
from leadreel.services.exports import field_admin
from leadreel.services.exports.templates import save_template


def test_create_rename_and_delete_with_confirmation(session, users, add_lead) -> None:
    admin = users["admin"]
    field = field_admin.create_field(session, admin, label="Lead Source", type="text")
    assert field.key == "lead_source" and not field.is_core
    leads = [add_lead(admin, None, email=f"{i}@x.example") for i in range(3)]
    for lead in leads[:2]:
        lead.custom = {"lead_source": f"web {lead.id}"}
    save_template(
        session,
        admin,
        "Mine",
        [
            {"field": "lead_source", "header": "Source"},
            {"kind": "format", "format": "{lead_source|none} / {email}", "header": "Both"},
        ],
    )
    session.commit()
    assert field_admin.value_count(session, field) == 2

    field_admin.update_field(
        session, admin, field.id, label="Source", key="source", type="text", in_overview=True
    )
    session.commit()
    session.expire_all()
    assert session.get(Lead, leads[0].id).custom == {"source": f"web {leads[0].id}"}
    template = session.query(ExportTemplate).filter_by(name="Mine").one()
    assert template.columns[0]["field"] == "source"
    assert template.columns[1]["format"] == "{source|none} / {email}"

    impact = field_admin.delete_impact(session, field)
    assert impact.values == 2 and impact.templates == ["Mine"]
    assert "2 value(s)" in impact.message("Source")
    with pytest.raises(ValidationError, match="now has 2 value"):
        field_admin.delete_field(session, admin, field.id, confirm_values=1)
    assert field_admin.delete_field(session, admin, field.id, confirm_values=2) == 2
    session.commit()
    session.expire_all()
    assert session.get(Lead, leads[0].id).custom == {}
    assert [c["header"] for c in session.query(ExportTemplate).one().columns] == ["Both"]


@pytest.mark.parametrize(
    ("key", "message"),
    [("email", "built-in"), ("video_x", "built-in"), ("Bad Key", "lower-case"), ("", "lower-case")],
)
def test_bad_keys_are_refused(session, users, key, message) -> None:
    with pytest.raises(ValidationError, match=message):
        field_admin.create_field(session, users["admin"], label="X", key=key or "9")


def test_reps_cannot_manage_fields(session, users) -> None:
    with pytest.raises(PermissionDenied):
        field_admin.create_field(session, users["rep"], label="Mine")


def test_promote_an_extra_column(session, users, add_lead) -> None:
    admin = users["admin"]
    session.add(
        ImportBatch(
            name="b",
            filename="b.csv",
            stored_path="",
            owner_id=admin.id,
            mapping=[
                {"index": 0, "header": "Email", "field": "email"},
                {"index": 1, "header": "Lead Source", "field": None},
            ],
        )
    )
    a = add_lead(
        admin, {"name": "Acme"}, email="a@x.example", extra={"Lead Source": "Fair", "Other": "1"}
    )
    b = add_lead(admin, None, email="b@x.example", extra={"Other": "2"})
    assert field_admin.extra_columns(session, admin) == [("Lead Source", 1)]
    field, moved = field_admin.promote_extra(session, admin, "Lead Source")
    session.commit()
    session.expire_all()
    assert (field.key, moved) == ("lead_source", 1)
    assert session.get(Lead, a.id).custom == {"lead_source": "Fair"}
    assert session.get(Lead, a.id).extra == {"Other": "1"}
    assert session.get(Lead, b.id).extra == {"Other": "2"} and session.get(Lead, b.id).custom == {}
    assert field_admin.extra_columns(session, admin) == []


def test_promote_to_a_company_field(session, users, add_lead) -> None:
    admin = users["admin"]
    a = add_lead(admin, {"name": "Acme"}, email="a@x.example", extra={"Segment": "SMB"})
    field, moved = field_admin.promote_extra(session, admin, "Segment", entity="company")
    session.commit()
    session.expire_all()
    lead = session.get(Lead, a.id)
    assert moved == 1 and lead.company.custom == {"segment": "SMB"} and lead.extra == {}
