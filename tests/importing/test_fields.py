"""The core field catalogue is complete, consistent and multilingual."""

from __future__ import annotations

import pytest

from leadreel.fields import COMPANY_KEYS, CORE_FIELDS, LEAD_KEYS, field
from leadreel.services.importing.mapping import normalize_header, propose_mapping

LEAD = (
    "first_name last_name full_name email phone mobile_phone job_title linkedin_url city "
    "state country notes"
).split()
COMPANY = (
    "company_name website company_domain company_phone industry employee_count "
    "annual_revenue company_linkedin_url facebook_url instagram_url twitter_url ads_url "
    "company_address company_city company_state company_postal_code company_country "
    "company_description"
).split()


def test_exact_core_keys_and_entities():
    assert list(LEAD_KEYS) == LEAD
    assert list(COMPANY_KEYS) == COMPANY
    assert len({f.key for f in CORE_FIELDS}) == len(CORE_FIELDS)
    assert all(f.entity == ("lead" if f.key in LEAD else "company") for f in CORE_FIELDS)
    assert field("email").type == "email" and field("email").single
    assert not field("notes").single
    with pytest.raises(KeyError, match="nope"):
        field("nope")


@pytest.mark.parametrize(
    "words",
    [
        {"email": "E-Mail-Adresse", "first_name": "Vorname", "company_name": "Unternehmen"},  # DE
        {"email": "Courriel", "first_name": "Prénom", "company_name": "Société"},  # FR
        {"email": "Correo electrónico", "first_name": "Nombre", "company_name": "Empresa"},  # ES
        {"email": "E-mailadres", "first_name": "Voornaam", "company_name": "Bedrijfsnaam"},  # NL
        {"email": "Indirizzo email", "first_name": "Nome", "company_name": "Azienda"},  # IT
        {"email": "Endereço de email", "first_name": "Primeiro nome", "company_name": "Empresa"},
    ],
)
def test_synonyms_in_each_language(words):
    for key, header in words.items():
        assert propose_mapping([header], []).columns[0].field == key, header


def test_no_synonym_is_claimed_by_two_fields():
    owners: dict[str, set[str]] = {}
    for spec in CORE_FIELDS:
        for word in spec.synonyms:
            owners.setdefault(normalize_header(word).replace(" ", ""), set()).add(spec.key)
    assert {w: k for w, k in owners.items() if len(k) > 1} == {}
