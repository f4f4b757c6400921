"""Turn one parsed record plus a column mapping into a clean lead + company.

Why a class: the mapping is resolved once (column index -> field spec) and the
per-row loop stays a tight sequence of dict writes and cached cleaner calls;
a million rows go through `normalize` so it must not re-inspect the mapping.

Policy in short
- values are trimmed; empty cells are ignored, never written as "".
- names: a full name is split (nameparser, cached); ALL CAPS becomes proper case;
  mixed case stays as written.
- emails are lower-cased; an invalid one is kept in `extra` with a warning.
- phones become E.164 when possible, otherwise they are kept as written.
- the website becomes scheme + host; `company_domain` comes from it, or (marked
  inferred) from a non-free-mail email domain.
- notes are mined for emails, phones and URLs, filling EMPTY fields only (inferred).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from leadreel.fields import CORE_FIELDS, FieldSpec
from leadreel.services.dedupe import linkedin_key
from leadreel.services.importing import cleaning as c

NO_DATA_ERROR = "row has no name, email, phone, company or website"
_URL_FIELDS_BY_HOST = (
    ("linkedin.com/company/", "company_linkedin_url"),
    ("linkedin.com/in/", "linkedin_url"),
    ("facebook.com/ads", "ads_url"),
    ("facebook.com", "facebook_url"),
    ("instagram.com", "instagram_url"),
    ("twitter.com", "twitter_url"),
    ("x.com/", "twitter_url"),
)


@dataclass(slots=True)
class NormalizedRow:
    """One row, ready for matching and storing."""

    lead: dict[str, str] = field(default_factory=dict)
    company: dict[str, str] = field(default_factory=dict)
    extra: dict[str, str] = field(default_factory=dict)
    inferred: set[str] = field(default_factory=set)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when the row can be stored."""
        return not self.errors


def social_field_for(url: str) -> str | None:
    """Which profile field a URL belongs to (LinkedIn person/company, Facebook ...)."""
    low = url.lower()
    for needle, key in _URL_FIELDS_BY_HOST:
        if needle in low:
            return key
    return None


def _first_of_many(value: str, clean: Any, row: NormalizedRow, header: str) -> str | None:
    """The first cleanable item of a list-like cell ("a@x.io; b@y.io", "acme.com, acme.de").

    The whole cell is also kept in `extra`, so the other items are not lost.
    """
    if not any(sep in value for sep in ",; /|"):
        return None
    for part in re.split(r"[,;\s|]+|\s/\s", value):
        if part and (cleaned := clean(part)):
            row.extra[header] = value
            return str(cleaned)
    return None


class RowNormalizer:
    """Normalise rows for one mapping; construct once per import, call per row."""

    def __init__(
        self,
        mapping: Any,
        default_region: str = "US",
        *,
        fields: Sequence[FieldSpec] = CORE_FIELDS,
    ) -> None:
        columns = getattr(mapping, "columns", mapping)
        specs = {f.key: f for f in fields}
        self.default_region = default_region.upper()
        if len(self.default_region) != 2:
            raise ValueError(f"default_region must be a 2-letter region, got {default_region!r}")
        self._plan: list[tuple[int, str, FieldSpec | None]] = []
        for col in columns:
            spec = specs.get(col.field) if col.field else None
            if col.field and spec is None:
                raise ValueError(f"column {col.header!r} is mapped to unknown field {col.field!r}")
            self._plan.append((col.index, col.header, spec))

    def normalize(self, values: Sequence[str]) -> NormalizedRow:
        """Clean one record's values into a `NormalizedRow` (never raises on bad data)."""
        row = NormalizedRow()
        n = len(values)
        for index, header, spec in self._plan:
            if index >= n:
                continue
            raw = values[index]
            value = raw.strip() if raw else ""
            if not value:
                continue
            if spec is None:
                row.extra[header] = value
            else:
                self._put(row, spec, header, value)
        self._finish(row)
        return row

    # ---- per field ------------------------------------------------------

    def _put(self, row: NormalizedRow, spec: FieldSpec, header: str, value: str) -> None:
        key, kind = spec.key, spec.type
        cleaned: str | None = value
        if kind == "email":
            cleaned = c.clean_email(value) or _first_of_many(value, c.clean_email, row, header)
            if cleaned is None:
                row.extra[header] = value
                row.warnings.append(f"{header}: {value!r} is not an email address")
                return
        elif kind == "phone":
            cleaned = c.clean_phone(value, self.default_region) or value
        elif key == "website" and (social := social_field_for(value)):
            target = row.lead if social == "linkedin_url" else row.company
            if social not in target and (url := c.clean_url(value)):
                target[social] = url  # a Facebook page given as "website" is a Facebook page
            else:
                row.extra[header] = value
            return
        elif key == "website":
            cleaned = c.clean_website(value) or _first_of_many(value, c.clean_website, row, header)
            if cleaned is None:
                row.extra[header] = value
                row.warnings.append(f"{header}: {value!r} is not a website")
                return
        elif kind == "number":
            cleaned = c.clean_number(value)
        elif kind == "domain":
            cleaned = c.domain_of(value) or value.lower()
            if c.is_shared_host(cleaned):
                row.extra[header] = value
                row.warnings.append(f"{header}: {value!r} is not a company's own domain")
                return
        elif kind == "url":
            cleaned = c.clean_url(value) or value
        elif kind == "name":
            cleaned = " ".join(value.split())
            if key != "full_name":
                cleaned = c.proper_case(cleaned)
        if cleaned is None:
            return
        target = row.company if spec.entity == "company" else row.lead
        if key in target:
            if spec.single:
                row.extra[header] = value
                return
            cleaned = f"{target[key]}\n{cleaned}"
        target[key] = cleaned

    # ---- whole row ------------------------------------------------------

    def _finish(self, row: NormalizedRow) -> None:
        lead, company = row.lead, row.company
        full = lead.get("full_name")
        if full and not (lead.get("first_name") or lead.get("last_name")):
            first, last = c.split_name(full)
            if first:
                lead["first_name"] = first
            if last:
                lead["last_name"] = last
        self._fix_linkedin(row)
        if lead.get("notes"):
            self._mine_notes(row, lead["notes"])
        website = company.get("website")
        if website and "company_domain" not in company:
            domain = c.domain_of(website)
            if domain and not c.is_shared_host(domain):
                company["company_domain"] = domain
        email = lead.get("email")
        if email and "company_domain" not in company:
            domain = c.email_domain(email)
            if domain and not c.is_shared_host(domain):
                company["company_domain"] = c.domain_of(domain) or domain
                row.inferred.add("company_domain")
        if not (
            lead.get("first_name") or lead.get("last_name") or full or email
            or lead.get("phone") or lead.get("mobile_phone") or company.get("company_phone")
            or company.get("company_name") or website or company.get("company_domain")
        ):
            row.errors.append(NO_DATA_ERROR)

    def _fix_linkedin(self, row: NormalizedRow) -> None:
        """A company page in the person column (or the reverse) moves to the right field."""
        person = linkedin_key(row.lead.get("linkedin_url"))
        if person and person.startswith("company/") and "company_linkedin_url" not in row.company:
            row.company["company_linkedin_url"] = row.lead.pop("linkedin_url")
        page = linkedin_key(row.company.get("company_linkedin_url"))
        if page and page.startswith("in/") and "linkedin_url" not in row.lead:
            row.lead["linkedin_url"] = row.company.pop("company_linkedin_url")

    def _mine_notes(self, row: NormalizedRow, notes: str) -> None:
        lead, company = row.lead, row.company
        if "@" in notes and "email" not in lead:
            for found in c.EMAIL_IN_TEXT.findall(notes):
                email = c.clean_email(found)
                if email:
                    lead["email"] = email
                    row.inferred.add("email")
                    break
        if "phone" not in lead and sum(ch.isdigit() for ch in notes) >= 7:
            for found in c.PHONE_IN_TEXT.findall(notes):
                phone = c.clean_phone(found, self.default_region)
                if phone:
                    lead["phone"] = phone
                    row.inferred.add("phone")
                    break
        if "." in notes:
            for found in c.URL_IN_TEXT.findall(c.EMAIL_IN_TEXT.sub(" ", notes)):
                key = social_field_for(found)
                if key is None:
                    if "website" not in company and (site := c.clean_website(found)):
                        company["website"] = site
                        row.inferred.add("website")
                    continue
                target = company if key != "linkedin_url" else lead
                url = c.clean_url(found)
                if url and key not in target:
                    target[key] = url
                    row.inferred.add(key)
