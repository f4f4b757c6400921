"""Column mapping, layer by layer, plus context and uniqueness rules."""

from __future__ import annotations

import json

import pytest

from leadreel.integrations.ai import AIColumnSuggestion, RulesProvider
from leadreel.services.importing.mapping import (
    MappingProposal,
    header_signature,
    normalize_header,
    propose_mapping,
)


def fields_of(proposal: MappingProposal) -> dict[str, str | None]:
    return {c.header: c.field for c in proposal.columns}


def sources_of(proposal: MappingProposal) -> dict[str, str]:
    return {c.header: c.source for c in proposal.columns}


def test_normalized_headers_and_signature():
    assert normalize_header(" E-Mail ") == "e mail"
    assert normalize_header("Prénom") == "prenom"
    assert header_signature(["Email", "Name"]) == header_signature(["name", "E-mail"][::-1][::-1])
    assert header_signature(["Name", "Email"]) == header_signature(["EMAIL", "name"])
    assert header_signature(["Name", "Email"]) != header_signature(["Name", "Phone"])


def test_saved_mapping_wins_and_may_repeat_single_fields():
    saved = {"Tel 1": "phone", "Tel 2": "phone", "Email": None}
    p = propose_mapping(["Tel 1", "Tel 2", "Email"], [["1", "2", "a@b.co"]], saved=saved)
    assert fields_of(p) == saved
    assert set(sources_of(p).values()) == {"saved"}
    assert all(c.confidence == 1.0 for c in p.columns)


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("E-Mail", "email"),
        ("EMAIL", "email"),
        ("Courriel", "email"),
        ("Correo electrónico", "email"),
        ("Vorname", "first_name"),
        ("Prénom", "first_name"),
        ("Achternaam", "last_name"),
        ("Cognome", "last_name"),
        ("Sobrenome", "last_name"),
        ("Telefon", "phone"),
        ("Teléfono", "phone"),
        ("Handy", "mobile_phone"),
        ("Firma", "company_name"),
        ("Entreprise", "company_name"),
        ("Azienda", "company_name"),
        ("Empresa", "company_name"),
        ("Bedrijfsnaam", "company_name"),
        ("Webseite", "website"),
        ("Site web", "website"),
        ("PLZ", "company_postal_code"),
        ("Branche", "industry"),
        ("# Employees", "employee_count"),
        ("Umsatz", "annual_revenue"),
        ("Company Phone", "company_phone"),
        ("Account Country", "company_country"),
        ("Contact First Name", "first_name"),
        ("Company Website", "website"),
    ],
)
def test_synonyms_multilingual(header, field):
    p = propose_mapping([header], [])
    assert (p.columns[0].field, p.columns[0].source) == (field, "synonym")


def test_fuzzy_typos():
    p = propose_mapping(["Frist Name", "Emial Adress", "Compnay Name"], [])
    assert fields_of(p) == {
        "Frist Name": "first_name",
        "Emial Adress": "email",
        "Compnay Name": "company_name",
    }
    assert set(sources_of(p).values()) == {"fuzzy"}
    assert all(0.7 < c.confidence < 0.95 for c in p.columns)


def test_values_layer_types_unknown_headers():
    headers = ["c1", "c2", "c3", "c4", "c5", "c6", "c7", "c8"]
    rows = [
        [
            "ana@acme.io",
            "https://www.linkedin.com/in/ana-l",
            "https://linkedin.com/company/acme",
            "https://facebook.com/acme",
            "acme.io",
            "+1 512 555 0100",
            "Germany",
            "Ana Lima",
        ],
        [
            "bo@zeta.de",
            "linkedin.com/in/bo",
            "https://www.linkedin.com/company/zeta",
            "facebook.com/zeta",
            "https://zeta.de/contact",
            "(512) 555-0199",
            "France",
            "Bo Rask",
        ],
        [
            "cy@x.fr",
            "https://linkedin.com/in/cy",
            "https://linkedin.com/company/x",
            "https://www.facebook.com/x",
            "www.x.fr",
            "030 1234567",
            "Spain",
            "Cy Dore",
        ],
    ]
    p = propose_mapping(headers, rows)
    assert fields_of(p) == dict(
        zip(
            headers,
            [
                "email",
                "linkedin_url",
                "company_linkedin_url",
                "facebook_url",
                "website",
                "phone",
                "country",
                "full_name",
            ],
            strict=True,
        )
    )
    assert set(sources_of(p).values()) == {"values"}


def test_values_overrule_a_lying_header():
    rows = [["a@x.io"], ["b@y.io"], ["c@z.io"]]
    p = propose_mapping(["Contact"], rows)
    assert (p.columns[0].field, p.columns[0].source) == ("email", "values")


def test_business_names_by_values_but_repeated_owner_name_ignored():
    firms = ["Acme Roofing", "Zeta Media LLC", "Brick & Co", "Nord Dental", "Sol GmbH", "Ray Law"]
    rows = [[firm, "Sam Rivera", f"lead{i}@acme{i}.com"] for i, firm in enumerate(firms)]
    p = propose_mapping(["col a", "Owner", "col c"], rows)
    assert fields_of(p) == {"col a": "company_name", "Owner": None, "col c": "email"}


def test_context_city_next_to_person_or_company_only():
    person = propose_mapping(["First Name", "Company", "City", "Company City"], [])
    assert fields_of(person)["City"] == "city"
    assert fields_of(person)["Company City"] == "company_city"
    business = propose_mapping(["Business Name", "Website", "City", "Country"], [])
    assert fields_of(business) == {
        "Business Name": "company_name",
        "Website": "website",
        "City": "company_city",
        "Country": "company_country",
    }


def test_no_two_columns_claim_a_single_field():
    rows = [["Acme Inc", "Acme", "a@acme.com", "b@acme.com"]] * 3
    p = propose_mapping(["Company", "Company Name for Emails", "Email", "Work Email"], rows)
    got = fields_of(p)
    assert got["Company"] == "company_name"
    assert got["Company Name for Emails"] is None
    assert (got["Email"], got["Work Email"]) == ("email", None)
    assert any("Work Email" in w for w in p.warnings)


def test_proposal_is_json_serialisable():
    p = propose_mapping(["Email"], [["a@b.co"]])
    data = json.loads(p.model_dump_json())
    assert data["columns"][0] == {
        "index": 0,
        "header": "Email",
        "field": "email",
        "confidence": 0.95,
        "source": "synonym",
        "reason": "the header names Email",
    }
    assert MappingProposal.model_validate(data) == p
    assert p.as_dict() == {"Email": "email"}


class ScriptedProvider:
    """A fake provider: returns the queued answer or raises the queued error."""

    name = "scripted"

    def __init__(self, answer):
        self.answer = answer
        self.calls: list[list[str]] = []

    def suggest_mapping(self, headers, sample_rows, fields):
        self.calls.append(list(headers))
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer

    def extract_fields(self, text, wanted_keys):
        return {}


def test_ai_only_fills_unsure_columns():
    ai = ScriptedProvider(
        [
            AIColumnSuggestion(
                header="Email", field="notes", confidence=0.99
            ),  # sure column: ignored
            AIColumnSuggestion(header="Fonction exacte", field="job_title", confidence=0.9),
            AIColumnSuggestion(header="xyz", field="not_a_field", confidence=0.9),
        ]
    )
    p = propose_mapping(["Email", "Fonction exacte", "xyz"], [["a@b.co", "CEO", "1"]], provider=ai)
    assert fields_of(p) == {"Email": "email", "Fonction exacte": "job_title", "xyz": None}
    assert sources_of(p)["Fonction exacte"] == "ai"
    assert ai.calls == [["Fonction exacte", "xyz"]]  # only the columns the rules are unsure of
    assert p.warnings == []


def test_ai_not_called_when_rules_are_sure():
    ai = ScriptedProvider([])
    propose_mapping(["Email", "First Name"], [], provider=ai)
    assert ai.calls == []


def test_ai_error_falls_back_to_rules_with_warning():
    p = propose_mapping(
        ["Email", "Mystery"], [["a@b.co", "?"]], provider=ScriptedProvider(RuntimeError("boom"))
    )
    assert fields_of(p) == {"Email": "email", "Mystery": None}
    assert p.warnings and "used the rules" in p.warnings[0]


def test_rules_provider_changes_nothing():
    headers = ["Email", "Mystery"]
    assert propose_mapping(headers, [], provider=RulesProvider()) == propose_mapping(headers, [])


def test_maps_export_is_about_businesses():
    headers = ["title", "address", "phone", "website", "category", "rating", "city"]
    rows = [
        ["Joe's Pizza", "12 Main St", "(512) 555-0100", "joespizza.com", "Pizza", "4.5", "Austin"],
        ["Blue Bottle Coffee", "1 Elm St", "(512) 555-0101", "bb.com", "Cafe", "4.1", "Austin"],
        ["Ace Plumbing LLC", "3 Oak St", "(512) 555-0102", "ace.com", "Plumber", "4.9", "Austin"],
    ]
    assert fields_of(propose_mapping(headers, rows)) == {
        "title": "company_name",
        "address": "company_address",
        "phone": "company_phone",
        "website": "website",
        "category": "industry",
        "rating": None,
        "city": "company_city",
    }


def test_title_of_people_stays_job_title():
    rows = [
        ["Marketing Manager", "a@b.com", "b.com"],
        ["CEO", "c@d.com", "d.com"],
        ["Head of Growth", "e@f.com", "f.com"],
    ]
    assert fields_of(propose_mapping(["Title", "Email", "Website"], rows))["Title"] == "job_title"


def test_salesforce_style_prefixes():
    headers = [
        "Mailing City",
        "Mailing State/Province",
        "Mailing Zip/Postal Code",
        "Billing City",
        "Person - Email",
        "Org Phone",
    ]
    assert fields_of(propose_mapping(headers, [])) == {
        "Mailing City": "city",
        "Mailing State/Province": "state",
        "Mailing Zip/Postal Code": "company_postal_code",
        "Billing City": "company_city",
        "Person - Email": "email",
        "Org Phone": "company_phone",
    }


def test_ai_answers_are_cached_by_input():
    """The same unsure columns with the same sample: one request; new input: a new one."""
    ai = ScriptedProvider(
        [AIColumnSuggestion(header="Fonction exacte", field="job_title", confidence=0.9)]
    )
    rows = [["a@b.co", "CEO"]]
    for _ in range(3):
        p = propose_mapping(["Email", "Fonction exacte"], rows, provider=ai)
        assert fields_of(p)["Fonction exacte"] == "job_title"
    assert ai.calls == [["Fonction exacte"]]
    propose_mapping(["Email", "Fonction exacte"], [["c@d.co", "CTO"]], provider=ai)
    assert len(ai.calls) == 2
    assert "AI suggestion" in p.columns[1].reason
