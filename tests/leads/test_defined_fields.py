"""A field defined on the Fields page (values in ``Lead.custom``, e.g. one promoted from an
import's extra column) is a column of the overview: shown, sorted and filtered on."""

from __future__ import annotations

from leadreel.extensions import db
from leadreel.models import FieldDefinition, Lead


def test_a_defined_field_is_shown_sorted_and_filtered(app, make_user, login):
    admin = make_user("admin")
    with app.app_context():
        db.session.add(FieldDefinition(key="lead_source", label="Lead Source", entity="lead"))
        db.session.add_all([
            Lead(first_name="Zed", custom={"lead_source": "Webinar"}),
            Lead(first_name="Amy", custom={"lead_source": "Expo"}),
            Lead(first_name="Kim", extra={"lead_source": "Referral"}),  # not promoted yet
        ])
        db.session.commit()
    client = login(admin)
    client.post("/leads/columns", data={"columns": ["name", "cf:lead_source"]})
    page = client.get("/?sort=cf:lead_source&dir=asc").get_data(as_text=True)
    assert page.index("Expo") < page.index("Referral") < page.index("Webinar")
    assert page.index("Amy") < page.index("Kim") < page.index("Zed")
    only = client.get("/?cf=lead_source&cv=Webinar").get_data(as_text=True)
    assert "Zed" in only and "Amy" not in only and "Kim" not in only
