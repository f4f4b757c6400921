"""Each column kind: core lead and company fields, custom fields, fixed values, formats, and
video columns for leads with a video, without one, with sharing off and not yet rendered."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from leadreel.errors import ValidationError
from leadreel.services.exports import field_admin
from leadreel.services.exports.catalog import load_catalog
from leadreel.services.exports.columns import parse_columns
from leadreel.services.exports.runner import ExportOptions, preview, write_export
from leadreel.services.exports.templates import BUILTIN, EMAIL_OUTREACH
from leadreel.services.leads.selection import Selection

ALL = Selection(everything=True)
BASE = "https://send.example"


def read_csv(path: Path, delimiter: str = ",") -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.reader(fh, delimiter=delimiter))


def test_field_fixed_and_format_columns(session, users, add_lead, tmp_path) -> None:
    admin = users["admin"]
    add_lead(
        admin,
        {"name": "Acme", "domain": "acme.example", "industry": "Widgets"},
        first_name="Ann",
        last_name="Lee",
        email="ann@acme.example",
    )
    add_lead(admin, {"name": "Beta"}, email="info@beta.example")  # no first name
    field = field_admin.create_field(session, admin, label="Lead Source")
    session.commit()
    lead = add_lead(admin, None, first_name="Cy")
    lead.custom = {field.key: "Webinar"}
    session.commit()
    columns = [
        {"field": "first_name", "header": "First"},
        {"kind": "field", "field": "company_name", "header": "Company"},
        {"kind": "field", "field": "company_domain", "header": "Domain"},
        {"kind": "field", "field": "lead_source", "header": "Source"},
        {"kind": "fixed", "value": "Q4", "header": "Campaign"},
        {
            "kind": "format",
            "format": "Hi {first_name|there} from {company_name|your team}",
            "header": "Hello",
        },
    ]
    out = tmp_path / "x.csv"
    count = write_export(session, out, columns, ALL, admin, base_url=BASE)
    rows = read_csv(out)
    assert count == 3
    assert rows[0] == ["First", "Company", "Domain", "Source", "Campaign", "Hello"]
    assert rows[1] == ["Ann", "Acme", "acme.example", "", "Q4", "Hi Ann from Acme"]
    assert rows[2] == ["", "Beta", "", "", "Q4", "Hi there from Beta"]
    assert rows[3] == ["Cy", "", "", "Webinar", "Q4", "Hi Cy from your team"]


def test_video_columns_with_and_without_a_video(
    session, users, add_lead, add_video, tmp_path
) -> None:
    admin = users["admin"]
    with_video = add_lead(admin, {"name": "Acme"}, first_name="Ann")
    add_video(with_video, status="failed", n=1)  # an older video: the latest one counts
    latest = add_video(with_video, n=2)
    add_lead(admin, {"name": "Beta"}, first_name="Bo")
    off = add_lead(admin, None, first_name="Off")
    add_video(off, share_enabled=False)
    rendering = add_lead(admin, None, first_name="Busy")
    add_video(rendering, status="rendering", view_count=0, play_count=0, last_viewed_at=None)
    columns = BUILTIN[EMAIL_OUTREACH] + [
        {"field": "video_status", "header": "Status"},
        {"field": "video_views", "header": "Views"},
        {"field": "video_plays", "header": "Plays"},
        {"field": "video_last_viewed", "header": "Last viewed"},
        {"kind": "format", "format": "Watch: {video_share_url|soon}", "header": "Line"},
    ]
    out = tmp_path / "v.csv"
    write_export(session, out, columns, ALL, admin, base_url=BASE)
    head, ann, bo, off_row, busy = read_csv(out)
    link = f"{BASE}/v/{latest.share_token}"
    assert head[4:8] == ["Video link", "Thumbnail URL", "GIF URL", "Email snippet"]
    assert ann[4] == link and ann[5] == f"{link}/thumbnail.jpg" and ann[6] == f"{link}/preview.gif"
    assert f'href="{link}"' in ann[7] and "preview.gif" in ann[7]
    assert ann[8:] == ["ready", "3", "2", "2026-11-30 09:15:00", f"Watch: {link}"]
    assert bo[4:] == ["", "", "", "", "", "", "", "", "Watch: soon"]
    assert off_row[4:8] == ["", "", "", ""] and off_row[8] == "ready"  # sharing off: no links
    assert busy[4:8] == ["", "", "", ""] and busy[8:10] == ["rendering", "0"]


def test_snippet_falls_back_to_the_thumbnail_without_a_gif(
    session, users, add_lead, add_video
) -> None:
    admin = users["admin"]
    lead = add_lead(admin, None, first_name="Ann")
    add_video(lead, preview_path=None)
    columns = [
        {"field": "video_gif_url", "header": "g"},
        {"field": "video_email_snippet", "header": "s"},
    ]
    _headers, rows = preview(session, admin, columns, ALL, base_url=BASE)
    assert rows[0][0] == "" and "email.jpg" in rows[0][1]


def test_bad_columns_are_refused_with_a_clear_message(session) -> None:
    catalog = load_catalog(session)
    with pytest.raises(ValidationError, match="unknown field 'nope'"):
        parse_columns([{"field": "nope", "header": "x"}], catalog)
    with pytest.raises(ValidationError, match="unknown field 'nope'"):
        parse_columns([{"kind": "format", "format": "{nope}", "header": "x"}], catalog)
    with pytest.raises(ValidationError, match="column 1"):
        parse_columns([{"kind": "fixed", "value": "x", "header": ""}], catalog)
    with pytest.raises(ValidationError, match="at least one column"):
        parse_columns([], catalog)


def test_bom_and_delimiter(session, users, add_lead, tmp_path) -> None:
    admin = users["admin"]
    add_lead(admin, None, first_name="Zoë", last_name="a;b")
    out = tmp_path / "b.csv"
    cols = [{"field": "first_name", "header": "f"}, {"field": "last_name", "header": "l"}]
    write_export(session, out, cols, ALL, admin, ExportOptions("csv", True, ";"))
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert raw.decode("utf-8-sig").splitlines() == ["f;l", 'Zoë;"a;b"']
