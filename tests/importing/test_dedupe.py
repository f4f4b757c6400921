"""Matching keys, merge policy and the in-memory deduper."""

from __future__ import annotations

import pytest

from leadreel.services.dedupe import (
    DedupeIndex,
    InMemoryDeduper,
    company_key_domain,
    lead_email_key,
    linkedin_key,
    merge_fields,
    normalize_company_name,
    person_company_key,
)


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("https://WWW.Acme.com/contact", "acme.com"),
        ("acme.com.", "acme.com"),
        ("http://acme.com:8080/x", "acme.com"),
        ("", None),
        ("localhost", None),
        (None, None),
    ],
)
def test_company_key_domain(raw, key):
    assert company_key_domain(raw) == key


@pytest.mark.parametrize(
    "name",
    [
        "Acme",
        "ACME, Inc.",
        "Acme Inc",
        "acme llc",
        "Acme Ltd.",
        "Acme GmbH",
        "Acme S.A.",
        "Acme GmbH & Co. KG",
        "The Acme Company",
        "  Ácme  ",
    ],
)
def test_normalize_company_name_drops_legal_suffixes(name):
    assert normalize_company_name(name) == "acme"


def test_normalize_company_name_keeps_meaningful_words():
    assert normalize_company_name("Brightside Heating & Air") == "brightside heating and air"
    assert normalize_company_name("Müller Bau GmbH") == "muller bau"
    assert normalize_company_name("Inc") == "inc"  # never empty


def test_lead_keys():
    assert lead_email_key("  Jane@Acme.COM ") == "jane@acme.com"
    assert lead_email_key("jane") is None
    assert linkedin_key("https://www.linkedin.com/in/Jane-Doe-12/?trk=x") == "in/jane-doe-12"
    assert linkedin_key("linkedin.com/company/acme") == "company/acme"
    assert linkedin_key("https://facebook.com/acme") is None
    assert person_company_key("José", "van der Berg", "acme.com") == (
        person_company_key("JOSE", "Van Der Berg", "acme.com")
    )
    assert person_company_key("Jose", "Berg", None) is None


def test_merge_fills_empty_never_overwrites_and_reports():
    existing = {"email": "a@x.io", "phone": "", "city": "Austin"}
    incoming = {"email": "b@x.io", "phone": "+1555", "city": "", "title": "CEO"}
    result = merge_fields(existing, incoming)
    assert result.merged == {"email": "a@x.io", "phone": "+1555", "city": "Austin", "title": "CEO"}
    assert result.previous == {"phone": "", "title": None}  # enough to undo the import
    assert result.conflicts == [("email", "a@x.io", "b@x.io")]
    merged, previous = merge_fields({"a": "X"}, {"a": "x"})
    assert (merged, previous) == ({"a": "X"}, {})


def test_index_rejects_weak_match_when_strong_keys_differ():
    index = DedupeIndex()
    index.add(1, {"domain": "acme.com", "name": "acme"})
    assert index.find({"domain": None, "name": "acme"}) == 1
    assert index.find({"domain": "acme.de", "name": "acme"}) is None
    assert index.match_or_add(2, {"domain": "acme.de", "name": "acme"}) == (2, True)
    assert index.match_or_add(3, {"domain": "acme.de", "name": None}) == (2, False)
    assert len(index) == 2


def test_in_memory_deduper():
    d = InMemoryDeduper()
    c1, l1 = d.add(
        {"email": "Ann@Acme.com", "first_name": "Ann", "last_name": "Lee"},
        {"company_name": "Acme Inc", "company_domain": "acme.com"},
    )
    c2, l2 = d.add(
        {"email": "ann@acme.com", "job_title": "CEO"},
        {"company_name": "ACME", "company_domain": "acme.com"},
    )
    c3, l3 = d.add(
        {"first_name": "Ann", "last_name": "Lee", "phone": "+1"}, {"company_name": "Acme"}
    )  # no email, same name at the same company
    c4, l4 = d.add({"email": "bo@zeta.io"}, {"company_name": "Acme", "company_domain": "acme.de"})
    assert c1 == c2 == c3 != c4
    assert l1 == l2 == l3 != l4  # l3: same name at the same (resolved) company
    assert (len(d.leads), len(d.companies)) == (2, 2)
    assert d.leads[l1] == {
        "email": "Ann@Acme.com",
        "first_name": "Ann",
        "last_name": "Lee",
        "job_title": "CEO",
        "phone": "+1",
    }
    assert d.lead_company == {l1: c1, l4: c4}


def test_shared_hosts_never_key_a_company():
    from leadreel.services.dedupe import company_keys, is_shared_host

    assert is_shared_host("gmail.com") and is_shared_host("yahoo.co.uk")
    assert is_shared_host("m.facebook.com") and is_shared_host("joe.wixsite.com")
    assert not is_shared_host("acme.com") and not is_shared_host(None)
    assert company_keys({"website": "https://facebook.com/joes", "company_name": "Joe's"}) == {
        "domain": None,
        "name": "joes",
    }
