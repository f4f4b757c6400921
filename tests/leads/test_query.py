"""Sorting, filtering, search and keyset paging: the same answers on SQLite and PostgreSQL.

Each expected order is computed in Python from the rows themselves (present values by
(value, id), then missing values by id), so a test that passes on both databases proves
both give the same, fully specified order.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from leadreel.extensions import db
from leadreel.models import Company, Lead, User, Video
from leadreel.services.leads import overview
from leadreel.services.leads import query as lq
from leadreel.services.leads.selection import Selection
from tests.leads.conftest import seed


def _walk(user: User, selection: Selection, sort: str, desc: bool, size: int = 7) -> list[int]:
    key = lq.prepare_sort(db.session, sort)
    ids: list[int] = []
    after = None
    for _ in range(100):
        page = lq.keyset_page(db.session, user, selection, key, desc=desc, after=after, size=size)
        ids += page.ids
        after = page.next_cursor
        if after is None:
            return ids
    raise AssertionError("paging did not end")


def _values(sort: str) -> dict[int, Any]:
    leads = db.session.scalars(select(Lead)).all()
    companies = {c.id: c for c in db.session.scalars(select(Company))}
    users = {u.id: u for u in db.session.scalars(select(User))}
    latest: dict[int, Video] = {}
    for video in db.session.scalars(select(Video).order_by(Video.id)):
        latest[video.lead_id] = video
    out: dict[int, Any] = {}
    for lead in leads:
        if sort == "created":
            out[lead.id] = (lead.created_at,)
        elif sort == "name":
            out[lead.id] = lead.last_name and (lead.last_name,)
        elif sort == "company":
            out[lead.id] = lead.company_id and (companies[lead.company_id].name_key, lead.company_id)
        elif sort == "owner":
            out[lead.id] = lead.owner_id and (users[lead.owner_id].email,)
        elif sort == "batch":
            out[lead.id] = lead.batch_id and (lead.batch_id, lead.created_at)
        elif sort == "video":
            out[lead.id] = lead.id in latest and (latest[lead.id].status,)
        elif sort == "views":
            out[lead.id] = lead.id in latest and (latest[lead.id].view_count,)
        elif sort.startswith("cf:"):
            value = (lead.extra or {}).get(sort[3:])
            out[lead.id] = value is not None and (value,)
        else:
            value = getattr(lead, sort)
            out[lead.id] = value is not None and (value,)
    return out


def _expected(values: dict[int, Any], desc: bool, allowed: set[int] | None = None) -> list[int]:
    ids = [i for i in values if allowed is None or i in allowed]
    present = sorted((i for i in ids if values[i]), key=lambda i: (*values[i], i), reverse=desc)
    missing = sorted((i for i in ids if not values[i]), reverse=desc)
    return present + missing


SORTS = ["created", "name", "company", "email", "job_title", "city", "country", "owner",
         "batch", "video", "views", "cf:Score"]


@pytest.mark.parametrize("desc", [False, True])
def test_every_sort_pages_in_the_same_full_order(db_app, desc):
    world = seed(db_app)
    with db_app.app_context():
        admin = db.session.get(User, world.admin.id)
        for sort in SORTS:
            got = _walk(admin, Selection(everything=True), sort, desc)
            assert got == _expected(_values(sort), desc), sort
            assert len(got) == len(set(got)) == len(world.lead_ids)


def _matching(selection: Selection, user: User) -> list[int]:
    return sorted(_walk(user, selection, "created", False))


def test_filters_match_python_predicates(db_app):
    world = seed(db_app)
    with db_app.app_context():
        admin = db.session.get(User, world.admin.id)
        leads = {lead.id: lead for lead in db.session.scalars(select(Lead))}
        companies = {c.id: c for c in db.session.scalars(select(Company))}
        latest: dict[int, str] = {}
        for video in db.session.scalars(select(Video).order_by(Video.id)):
            latest[video.lead_id] = video.status

        def where(pred) -> list[int]:  # type: ignore[no-untyped-def]
            return sorted(i for i, lead in leads.items() if pred(lead))

        cases = [
            (Selection(batch_id=world.batches[0]), lambda ld: ld.batch_id == world.batches[0]),
            (Selection(owner_id=world.bob.id), lambda ld: ld.owner_id == world.bob.id),
            (Selection(owner_id=0), lambda ld: ld.owner_id is None),
            (Selection(video_status="none"), lambda ld: ld.id not in latest),
            (Selection(video_status="failed"), lambda ld: latest.get(ld.id) == "failed"),
            (Selection(has_email=True), lambda ld: bool(ld.email)),
            (Selection(has_email=False), lambda ld: not ld.email),
            (Selection(has_phone=True), lambda ld: bool(ld.phone or ld.mobile_phone)),
            (Selection(has_phone=False), lambda ld: not (ld.phone or ld.mobile_phone)),
            (Selection(has_website=True),
             lambda ld: bool(ld.company_id and companies[ld.company_id].website)),
            (Selection(tag="hot"), lambda ld: ld.tag == "hot"),
            (Selection(custom={"Score": "3"}), lambda ld: (ld.extra or {}).get("Score") == "3"),
            (Selection(imported_from="2026-01-02"),
             lambda ld: ld.created_at.date().isoformat() >= "2026-01-02"),
            (Selection(imported_from="2026-01-01", imported_to="2026-01-01"),
             lambda ld: ld.created_at.date().isoformat() == "2026-01-01"),
            (Selection(batch_id=world.batches[1], video_status="ready"),
             lambda ld: ld.batch_id == world.batches[1] and latest.get(ld.id) == "ready"),
        ]
        for selection, pred in cases:
            assert _matching(selection, admin) == where(pred), selection
            total = overview.count_capped(db.session, admin, selection)
            assert total.exact and total.value == len(where(pred))


def test_search_is_a_case_insensitive_substring_of_lead_and_company(db_app):
    world = seed(db_app)
    with db_app.app_context():
        admin = db.session.get(User, world.admin.id)
        leads = {lead.id: lead for lead in db.session.scalars(select(Lead))}
        companies = {c.id: c for c in db.session.scalars(select(Company))}

        def text_of(lead: Lead) -> str:
            own = " ".join(x or "" for x in (lead.first_name, lead.last_name, lead.full_name,
                                             lead.email))
            company = companies.get(lead.company_id or 0)
            theirs = f"{company.name} {company.domain or ''}" if company else ""
            return f"{own}\n{theirs}".lower()

        for q in ["ACME", "widg", "globex.com", "p01", "moe", "mail3.test", "zz-nothing", "cy",
                  "a%", "_"]:
            got = _matching(Selection(q=q), admin)
            want = sorted(i for i, lead in leads.items()
                          if any(q.lower() in part for part in text_of(lead).split("\n")))
            assert got == want, q
        assert _matching(Selection(q="acme"), admin)  # the case is not vacuous


def test_keyset_never_skips_or_repeats_when_rows_arrive_between_pages(db_app):
    world = seed(db_app)
    with db_app.app_context():
        admin = db.session.get(User, world.admin.id)
        for sort, desc in [("created", True), ("name", False), ("company", False),
                           ("email", True), ("cf:Score", False)]:
            key = lq.prepare_sort(db.session, sort)
            before = set(_walk(admin, Selection(everything=True), sort, desc))
            seen: list[int] = []
            after = None
            added: list[int] = []
            for step in range(100):
                page = lq.keyset_page(db.session, admin, Selection(everything=True), key,
                                      desc=desc, after=after, size=5)
                seen += page.ids
                after = page.next_cursor
                if after is None:
                    break
                # new leads sorting before, after and in the middle of what was seen
                for j, (first, last) in enumerate([("aaa", "Aaa"), ("zzz", "Zzz"),
                                                   ("mid", None)]):
                    lead = Lead(first_name=first, last_name=last, email=f"{first}{step}@n.test",
                                extra={"Score": str(j)}, company_id=None)
                    db.session.add(lead)
                    db.session.flush()
                    added.append(lead.id)
                db.session.commit()
            assert len(seen) == len(set(seen)), f"{sort}: a row was shown twice"
            assert before <= set(seen), f"{sort}: a row was skipped"
            assert set(seen) <= before | set(added)
            db.session.execute(Lead.__table__.delete().where(Lead.id.in_(added)))
            db.session.commit()


def test_a_damaged_cursor_is_a_clear_error(db_app):
    world = seed(db_app, n=5)
    with db_app.app_context():
        admin = db.session.get(User, world.admin.id)
        from leadreel.errors import ValidationError

        with pytest.raises(ValidationError, match="damaged"):
            lq.keyset_page(db.session, admin, Selection(everything=True), lq.sort_key("created"),
                           desc=True, after="not-a-cursor")
        with pytest.raises(ValidationError, match="unknown sort"):
            lq.sort_key("password_hash")
