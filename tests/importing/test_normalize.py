"""Row normalisation: names, emails, phones, websites, domains, notes, empty rows."""

from __future__ import annotations

import pytest

from leadreel.services.importing.mapping import ColumnMapping
from leadreel.services.importing.normalize import NO_DATA_ERROR, RowNormalizer


def normalizer(*fields: str | None, region: str = "US") -> RowNormalizer:
    cols = [
        ColumnMapping(
            index=i,
            header=f"H{i}" if f is None else f.title(),
            field=f,
            confidence=1.0,
            source="saved",
        )
        for i, f in enumerate(fields)
    ]
    return RowNormalizer(cols, default_region=region)


@pytest.mark.parametrize(
    ("full", "first", "last"),
    [
        ("Jane Doe", "Jane", "Doe"),
        ("Lindqvist, Hiroshi", "Hiroshi", "Lindqvist"),
        ("Dr. Tomás van der Berg", "Tomás", "van der Berg"),
        ("Fatima Schmidt Jr.", "Fatima", "Schmidt"),
        ("Aoife De la Cruz", "Aoife", "De la Cruz"),
        ("JOSÉ VAN DER BERG", "José", "van der Berg"),
        ("WEI MCALLISTER", "Wei", "McAllister"),
        ("Wei O'Brien", "Wei", "O'Brien"),
        ("  mary   ann smith ", "Mary Ann", "Smith"),
    ],
)
def test_full_name_split(full, first, last):
    row = normalizer("full_name").normalize([full])
    assert (row.lead["first_name"], row.lead["last_name"]) == (first, last)
    assert row.errors == []


def test_separate_name_columns_proper_case_only_when_shouting():
    n = normalizer("first_name", "last_name")
    assert n.normalize(["JEAN-LUC", "MACDONALD"]).lead == {
        "first_name": "Jean-Luc",
        "last_name": "MacDonald",
    }
    assert n.normalize(["Hiroshi", "van der Berg"]).lead == {
        "first_name": "Hiroshi",
        "last_name": "van der Berg",
    }


def test_email_trimmed_lowercased_and_invalid_kept_as_extra():
    n = normalizer("email", "company_name")
    assert n.normalize(["  HANNAH.DUBOIS@YAHOO.COM ", ""]).lead == {
        "email": "hannah.dubois@yahoo.com"
    }
    bad = n.normalize(["not-an-email", "Acme"])
    assert "email" not in bad.lead
    assert bad.extra == {"Email": "not-an-email"}
    assert bad.warnings == ["Email: 'not-an-email' is not an email address"]
    assert bad.errors == []


def test_phones_to_e164_with_region_and_unparseable_kept():
    assert normalizer("phone").normalize(["(512) 555.8554"]).lead["phone"] == "+15125558554"
    assert normalizer("phone", region="DE").normalize(["030 1234567"]).lead["phone"] == (
        "+49301234567"
    )
    assert normalizer("mobile_phone").normalize(["+44 20 7946 0958"]).lead["mobile_phone"] == (
        "+442079460958"
    )
    assert normalizer("phone").normalize(["ask reception"]).lead["phone"] == "ask reception"
    with pytest.raises(ValueError, match="default_region"):
        normalizer("phone", region="USA")


@pytest.mark.parametrize(
    ("site", "website", "domain"),
    [
        ("https://harborfitness.net/contact", "https://harborfitness.net", "harborfitness.net"),
        ("www.lakesidegoods.io", "https://www.lakesidegoods.io", "lakesidegoods.io"),
        ("HTTP://WWW.Acme.COM/", "http://www.acme.com", "acme.com"),
        ("shop.acme.co.uk/en", "https://shop.acme.co.uk", "acme.co.uk"),
    ],
)
def test_website_and_company_domain(site, website, domain):
    row = normalizer("website").normalize([site])
    assert row.company == {"website": website, "company_domain": domain}
    assert row.inferred == set()


def test_company_domain_from_work_email_only_when_no_site():
    n = normalizer("email", "website")
    row = n.normalize(["jane@acme.io", ""])
    assert row.company == {"company_domain": "acme.io"}
    assert row.inferred == {"company_domain"}
    assert n.normalize(["jane@gmail.com", ""]).company == {}
    assert n.normalize(["jane@yahoo.co.uk", ""]).company == {}
    assert n.normalize(["jane@gmx.de", "zeta.de"]).company["company_domain"] == "zeta.de"
    assert n.normalize(["jane@acme.io", "acme-group.com"]).company["company_domain"] == (
        "acme-group.com"
    )


def test_notes_fill_only_empty_fields():
    n = normalizer("full_name", "email", "notes")
    row = n.normalize(
        [
            "Ana Lima",
            "",
            "Reach her at ana@acme.io or +1 512 555 0100, www.acme.io, "
            "https://linkedin.com/in/ana-lima, call back 26/11",
        ]
    )
    assert row.lead["email"] == "ana@acme.io"
    assert row.lead["phone"] == "+15125550100"
    assert row.lead["linkedin_url"] == "https://linkedin.com/in/ana-lima"
    assert row.company == {"website": "https://www.acme.io", "company_domain": "acme.io"}
    assert row.inferred == {"email", "phone", "linkedin_url", "website"}
    kept = n.normalize(["Ana Lima", "boss@zeta.de", "other: ana@acme.io"])
    assert kept.lead["email"] == "boss@zeta.de"
    assert "email" not in kept.inferred


def test_business_only_row_is_valid():
    n = normalizer("company_name", "website", "email", "company_phone")
    row = n.normalize(
        ["Brightside Roofing LLC", "brightside.com", "info@brightside.com", "+1 512 555 0100"]
    )
    assert row.errors == []
    assert "first_name" not in row.lead and "last_name" not in row.lead
    assert row.lead["email"] == "info@brightside.com"
    assert row.company["company_phone"] == "+15125550100"


def test_row_with_nothing_usable_is_an_error_and_extras_kept():
    row = normalizer("city", None).normalize(["Austin", "expo"])
    assert row.errors == [NO_DATA_ERROR]
    assert row.extra == {"H1": "expo"}
    assert row.lead == {"city": "Austin"}


def test_company_linkedin_page_in_person_column_moves():
    row = normalizer("linkedin_url", "company_name").normalize(
        ["linkedin.com/company/acme", "Acme"]
    )
    assert row.company["company_linkedin_url"] == "https://linkedin.com/company/acme"
    assert "linkedin_url" not in row.lead


def test_short_rows_and_unknown_fields():
    assert normalizer("email", "phone").normalize(["a@b.co"]).lead == {"email": "a@b.co"}
    with pytest.raises(ValueError, match="unknown field"):
        normalizer("favourite_colour")


def test_normalizer_pickles_for_the_process_pool():
    import pickle

    n = pickle.loads(pickle.dumps(normalizer("full_name", "email")))
    assert n.normalize(["JANE DOE", "J@X.IO"]).lead == {
        "full_name": "JANE DOE",
        "email": "j@x.io",
        "first_name": "Jane",
        "last_name": "Doe",
    }


def test_social_page_given_as_website_goes_to_its_field():
    n = normalizer("company_name", "website", "email")
    row = n.normalize(["Joe's Pizza", "https://www.facebook.com/joespizza", "joe@gmail.com"])
    assert row.company == {
        "company_name": "Joe's Pizza",
        "facebook_url": "https://www.facebook.com/joespizza",
    }
    hosted = n.normalize(["Ace", "ace-plumbing.wixsite.com/home", ""])
    assert hosted.company == {"company_name": "Ace", "website": "https://ace-plumbing.wixsite.com"}


@pytest.mark.parametrize(
    "name",
    [
        "Fatima Schmidt Jr.",
        "Dr. Tomás van der Berg",
        "Lindqvist, Hiroshi",
        "Aoife De la Cruz",
        "JOSÉ VAN DER BERG",
        "WEI MCALLISTER",
        "Wei O'Brien",
        "Anna-Lena Haddad",
        "mary ann smith",
        "Juan De la Cruz Perez",
        "John Smith, Jr.",
        "Prof. Dr. Hans Müller",
        "DE LA CRUZ, AOIFE",
        "Mary-Kate O'Neil-Smith",
        "Leonardo da Vinci",
        "Mme Renée Dürr",
    ],
)
def test_fast_name_split_agrees_with_nameparser(name):
    from leadreel.services.importing.cleaning import _split_plain, _split_with_nameparser

    assert _split_plain(name) == _split_with_nameparser(name)


def test_list_cells_take_the_first_item_and_keep_the_cell():
    n = normalizer("email", "website")
    row = n.normalize(["A@x.io; b@y.io", "acme.com, acme.de"])
    assert row.lead == {"email": "a@x.io"}
    assert row.company == {"website": "https://acme.com", "company_domain": "acme.com"}
    assert row.extra == {"Email": "A@x.io; b@y.io", "Website": "acme.com, acme.de"}
    assert n.normalize(["mailto:A@x.io", ""]).extra == {}


@pytest.mark.parametrize(
    ("raw", "number"),
    [
        ("29,483,000", "29483000"),
        ("1.234.567", "1234567"),
        ("$1.2M", "1200000"),
        ("5k", "5000"),
        ("2,5 Mio", "2500000"),
        ("12", "12"),
        ("11-50", "11-50"),
        ("about 20", "about 20"),
    ],
)
def test_numbers_cleaned_only_when_unambiguous(raw, number):
    row = normalizer("company_name", "annual_revenue").normalize(["Acme", raw])
    assert row.company["annual_revenue"] == number


def test_linkedin_pages_swap_to_the_right_entity_and_free_mail_domain_refused():
    row = normalizer("company_linkedin_url", "company_domain").normalize(
        ["https://www.linkedin.com/in/ana", "gmail.com"]
    )
    assert row.lead == {"linkedin_url": "https://www.linkedin.com/in/ana"}
    assert row.company == {}
    assert row.extra == {"Company_Domain": "gmail.com"}
    assert row.warnings == ["Company_Domain: 'gmail.com' is not a company's own domain"]
