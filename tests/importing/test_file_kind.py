"""People or businesses, decided for the whole file; look-alike columns; header spellings;
free-text mining; tracking parameters. Each rule is tested on its own kind of input."""

from __future__ import annotations

import pytest

from leadreel.services.importing import cleaning as c
from leadreel.services.importing.file_kind import (
    business_words,
    looks_like_person,
    name_is_business,
)
from leadreel.services.importing.free_text import mine_company, mine_job_title
from leadreel.services.importing.header_words import business_column, header_variants
from leadreel.services.importing.mapping import propose_mapping
from leadreel.services.importing.normalize import RowNormalizer


def fields(headers, rows, **kw):  # type: ignore[no-untyped-def]
    p = propose_mapping(headers, rows, **kw)
    return {col.header: col.field for col in p.columns}, p


BUSINESSES = [
    ["Johnson & Sons", "info@johnsonandsons.com", "4.5", "120", "Plumbing"],
    ["Dr. Sarah Kim DDS", "hello@drsarahkim.com", "4.9", "88", "Dentist"],
    ["Maria Lopez Law", "contact@marialopezlaw.com", "3.9", "12", "Law Firm"],
    ["Redwood Plumbing LLC", "office@redwoodplumbing.com", "4.1", "301", "Plumbing"],
    ["Peter Grant CPA", "info@petergrantcpa.com", "4.4", "45", "Accounting"],
]


def test_a_directory_of_person_named_businesses_is_a_business_file():
    got, p = fields(["Name", "Email", "Rating", "Reviews", "Category"], BUSINESSES)
    assert p.kind == "businesses"
    assert got == {
        "Name": "company_name",
        "Email": "email",
        "Rating": None,
        "Reviews": None,
        "Category": "industry",
    }
    assert any("shared mailboxes" in r for r in p.kind_reasons)


def test_people_with_personal_mailboxes_stay_people():
    rows = [
        ["Jane Doe", "jane.doe@acme.com", "CEO"],
        ["Omar Haddad", "omar@globex.io", "Head of Sales"],
        ["Lena Vogel", "lvogel@initech.de", "CTO"],
    ]
    got, p = fields(["Name", "Email", "Title"], rows)
    assert p.kind == "people"
    assert got == {"Name": "full_name", "Email": "email", "Title": "job_title"}


def test_the_user_can_force_the_kind():
    rows = [["Jane Doe", "jane.doe@acme.com"], ["Omar Haddad", "omar@globex.io"]]
    got, p = fields(["Name", "Email"], rows, kind="businesses")
    assert p.kind == "businesses" and p.kind_forced and got["Name"] == "company_name"


def test_in_a_business_file_location_and_phone_are_the_companys():
    rows = [
        ["Acme Roofing", "+1 512 555 0101", "Austin", "TX", "US", "78701", "info@acmeroof.com"],
        ["Bolt Electric", "+1 512 555 0102", "Dallas", "TX", "US", "75201", "hello@bolt.com"],
        ["Cedar Dental", "+1 512 555 0103", "Houston", "TX", "US", "77001", "office@cedar.com"],
    ]
    got, p = fields(["Nombre", "Teléfono", "Localidad", "Provincia", "País", "CP", "Correo"], rows)
    assert p.kind == "businesses"
    assert got == {
        "Nombre": "company_name",
        "Teléfono": "company_phone",
        "Localidad": "company_city",
        "Provincia": "company_state",
        "País": "company_country",
        "CP": "company_postal_code",
        "Correo": "email",
    }


def test_business_rows_become_contactable_leads_without_an_invented_name():
    _, p = fields(["Name", "Email", "Rating", "Reviews", "Category"], BUSINESSES)
    row = RowNormalizer(p).normalize(BUSINESSES[1])
    assert row.lead == {"email": "hello@drsarahkim.com"}
    assert row.company["company_name"] == "Dr. Sarah Kim DDS"


@pytest.mark.parametrize(
    "value, business",
    [
        ("Acme GmbH", True),
        ("Sierra S.L.U.", True),
        ("Falcon B.V.", True),
        ("Le Petit SARL", True),
        ("Maple Kitchen", True),
        ("Johnson & Sons", True),
        ("John Law", False),
        ("Jane Doe", False),
        ("Maria Lopez Law", True),
    ],
)
def test_one_row_name_is_a_business(value, business):
    assert name_is_business(value) is business


def test_business_words_and_person_names():
    assert business_words("Clínica Dental Brisa S.L.U.") == (True, True)
    assert looks_like_person("José van der Berg") and looks_like_person("Dr. Olga Lindqvist")
    assert not looks_like_person("Redwood Plumbing") and not looks_like_person("Falcon Goods")


def test_mixed_file_business_row_goes_to_the_company():
    rows = [
        ["Olivia Turner", "olivia@crest.com", "Crest Media"],
        ["Bright Smile Dental LLC", "info@brightsmile.com", ""],
        ["Noah Brooks", "noah@crest.com", "Crest Media"],
    ]
    _, p = fields(["Name", "Email", "Company"], rows)
    assert p.kind == "people"
    norm = RowNormalizer(p)
    business = norm.normalize(rows[1])
    assert "first_name" not in business.lead and "full_name" not in business.lead
    assert business.company["company_name"] == "Bright Smile Dental LLC"
    assert "company_name" in business.inferred
    assert norm.normalize(rows[0]).lead["first_name"] == "Olivia"


def test_look_alike_columns_are_never_phones():
    rows = [
        [
            "39.0705309",
            "-69.8125894",
            "28001",
            "4.5",
            "1299",
            "ChIJ73e9326bfd12cf4",
            "+1 512 555 4006",
        ],
        [
            "28.5925597",
            "-109.9252082",
            "08002",
            "3.1",
            "57",
            "ChIJ18e0599ddfe5627",
            "+1 512 555 1765",
        ],
        [
            "45.8776729",
            "-34.9501751",
            "41003",
            "4.7",
            "2284",
            "ChIJc86ed373bec7e50",
            "+1 512 555 7638",
        ],
    ]
    headers = [
        "location/lat",
        "location/lng",
        "postalCode",
        "totalScore",
        "reviewsCount",
        "placeId",
        "Col 7",
    ]
    got, _ = fields(headers, rows)
    assert got["location/lat"] is None and got["location/lng"] is None
    assert got["postalCode"] == "company_postal_code"
    assert got["totalScore"] is None and got["reviewsCount"] is None and got["placeId"] is None
    assert got["Col 7"] == "company_phone"  # a business file (coordinates, ratings): its phone
    # values alone: coordinates under a meaningless header are not phones either
    got, _ = fields(["c1"], [["39.0705309"], ["28.5925597"], ["-45.8776729"]])
    assert got["c1"] is None


@pytest.mark.parametrize(
    "header, field",
    [
        ("emails/0", "email"),
        ("email_1", "email"),
        ("E-Mail 2", "email"),
        ("phoneNumbers/0", "phone"),
        ("facebooks/0", "facebook_url"),
        ("instagrams/0", "instagram_url"),
        ("categoryName", "industry"),
        ("Tel.", "phone"),
        ("Nº de teléfono", "phone"),
        ("WhatsApp", "mobile_phone"),
        ("uf", "state"),
        ("cp", "company_postal_code"),
        ("Código_Postal", "company_postal_code"),
        ("Site internet", "website"),
        ("Página web", "website"),
        ("Sito web", "website"),
        ("Webseite", "website"),
        ("Raison sociale", "company_name"),
        ("Ragione sociale", "company_name"),
        ("Nome fantasia", "company_name"),
        ("Actividad", "industry"),
        ("Branche", "industry"),
        ("Atividade", "industry"),
        ("Comentarios", "notes"),
        ("Observações", "notes"),
        ("Opmerkingen", "notes"),
        ("Info", "notes"),
        ("Telefone da empresa", "company_phone"),
        ("Teléfono empresa", "company_phone"),
        ("Code pays", "country"),
        ("Gemeente", "city"),
        ("Municipio", "city"),
        ("Provincie", "state"),
        ("Endereço", "company_address"),
        ("Indirizzo", "company_address"),
    ],
)
def test_headers_in_many_languages_and_spellings(header, field):
    assert fields([header], [])[0][header] == field


def test_header_variants_and_business_columns():
    assert header_variants("emails/0") == ("emails 0", "emails", "email")
    assert business_column("Nº reseñas") == "reviews"
    assert business_column("Öffnungszeiten") == "hours"
    assert business_column("Valutazione") == "rating"
    assert business_column("Breitengrad") == "coordinates"
    assert business_column("Email") is None


def test_free_text_is_found_by_its_values_whatever_the_header():
    rows = [
        ["Ann Lee", "CEO at Acme Roofing. Email ann@acmeroofing.com, cell (512) 555-0101."],
        ["Bo Chen", "Owner, Bolt Electric. Best reached at bo@boltelectric.io. Tel 512 555 0102"],
        ["Cy Ruiz", "Cedar Dental (cedardental.com) - Office Manager; cy@cedardental.com"],
    ]
    got, p = fields(["Prospect", "Zusammenfassung"], rows)
    assert got["Zusammenfassung"] == "notes"
    assert "free text" in p.columns[1].reason
    row = RowNormalizer(p).normalize(rows[2])
    assert row.lead["email"] == "cy@cedardental.com" and row.lead["job_title"] == "Office Manager"
    assert row.company["company_name"] == "Cedar Dental"
    assert {"email", "job_title", "company_name", "website"} <= row.inferred


@pytest.mark.parametrize(
    "text, domain, company, title",
    [
        (
            "General Manager at Granite Media. Email jose@x.com",
            "granitemedia.com",
            "Granite Media",
            "General Manager",
        ),
        (
            "CEO at Maple Heating & Air. Web: https://mapleheatingair.net",
            "mapleheatingair.net",
            "Maple Heating & Air",
            "CEO",
        ),
        (
            "Spoke at the fair. Founder & CEO, Johnson & Sons.",
            "johnsonandsons.com",
            "Johnson & Sons",
            "Founder & CEO",
        ),
        (
            "Diretora de Marketing na Padaria Aurora.",
            "padariaaurora.com.br",
            "Padaria Aurora",
            "Diretora de Marketing",
        ),
        ("Head of Growth at Lakeside Media", None, "Lakeside Media", "Head of Growth"),
        ("Met him at the fair, nice chat", None, None, None),
    ],
)
def test_mining_company_and_title(text, domain, company, title):
    assert mine_company(text, domain) == company
    assert mine_job_title(text) == title


@pytest.mark.parametrize(
    "url",
    [
        "https://www.pinecrestmedia.com/?utm_source=google&utm_medium=organic",
        "https://pinecrestmedia.com/?fbclid=IwAR1e20ae152f",
        "http://www.pinecrestmedia.com/?gclid=Cj0KCQ&ref=directory",
        "pinecrestmedia.com/?ref=yelp",
    ],
)
def test_websites_lose_tracking_parameters_before_the_domain(url):
    site = c.clean_website(url)
    assert site is not None and "?" not in site and "utm" not in site
    assert c.domain_of(site) == "pinecrestmedia.com"
    assert (
        c.clean_url("https://www.facebook.com/acme?fbclid=IwAR") == "https://www.facebook.com/acme"
    )
