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
- notes (free text) are mined for emails, phones, URLs, the job title and the company
  name (`free_text`), filling EMPTY fields only (inferred).
- a person file's row whose name is plainly a business ("Acme Plumbing LLC") with no
  company given is the company's row: the name goes to `company_name` (mixed files).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from leadreel.fields import CORE_FIELDS, FieldSpec
from leadreel.services.dedupe import linkedin_key
from leadreel.services.exports.guard import restore
from leadreel.services.importing import cleaning as c
from leadreel.services.importing.file_kind import name_is_business
from leadreel.services.importing.free_text import mine_company, mine_job_title

NO_DATA_ERROR = "row has no name, email, phone, company or website"
#: A cell longer than this is cut to it (a warning names the row and column).
MAX_CELL_CHARS = 100_000
#: Free text is mined in its first this-many characters (contact data comes first).
MINE_CHARS = 4_000
#: Unmapped columns kept as extra fields (the first ones); a wider file's others are dropped.
MAX_EXTRA_COLUMNS = 500
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


@dataclass(frozen=True, slots=True)
class Column:
    """One mapped column, as the normaliser needs it (plain data, cheap to pickle)."""

    index: int
    header: str
    field: str | None


def _storer(spec: FieldSpec, header: str) -> Callable[..., None]:
    """Store a cleaned value in the lead or company; a second value of a single field
    goes to `extra` (kept, not lost), a multi-valued field gets it on a new line."""
    key, single, company = spec.key, spec.single, spec.entity == "company"

    def store(row: NormalizedRow, value: str, cleaned: str | None = None) -> None:
        if cleaned is None:
            cleaned = value
        target = row.company if company else row.lead
        if key in target:
            if single:
                row.extra[header] = value
                return
            cleaned = f"{target[key]}\n{cleaned}"
        target[key] = cleaned

    return store


def _memo_putter(spec: FieldSpec, header: str, clean: Callable[[str], str]) -> Putter:
    """Clean with a bounded per-column memo (`clean` must be pure), then store.

    One function per cell: this runs for most cells of a million-row file.
    """
    store = _storer(spec, header)
    key, company = spec.key, spec.entity == "company"
    memo: dict[str, str] = {}

    def put(row: NormalizedRow, value: str) -> None:
        cleaned = memo.get(value)
        if cleaned is None:
            cleaned = clean(value)
            if len(memo) < _MEMO_SIZE:  # full: keep what it holds (values seen early recur)
                memo[value] = cleaned
        target = row.company if company else row.lead
        if key in target:
            store(row, value, cleaned)  # a second value: the rules live in one place
        else:
            target[key] = cleaned

    return put


#: Per-column memo of pure cleaners (value -> cleaned): it stops growing at this size.
_MEMO_SIZE = 8192
Putter = Callable[[NormalizedRow, str], None]


class RowNormalizer:
    """Normalise rows for one mapping; construct once per import, call per row.

    Each mapped column gets its own `Putter`, chosen once from the field's type, so the
    per-value work is one call; pure cleaners (names, phones, numbers, URLs) also get a
    per-column memo, because lead files repeat values (titles, cities, company phones).
    """

    def __init__(
        self,
        mapping: Any,
        default_region: str = "US",
        *,
        fields: Sequence[FieldSpec] = CORE_FIELDS,
    ) -> None:
        columns = [Column(c.index, c.header, c.field) for c in getattr(mapping, "columns", mapping)]
        self._args = (columns, default_region, tuple(fields))
        specs = {f.key: f for f in fields}
        self.default_region = default_region.upper()
        if len(self.default_region) != 2:
            raise ValueError(f"default_region must be a 2-letter region, got {default_region!r}")
        self._plan: list[tuple[int, Putter]] = []
        self._headers = {col.index: col.header for col in columns}
        extra = 0
        for col in columns:
            spec = specs.get(col.field) if col.field else None
            if col.field and spec is None:
                raise ValueError(f"column {col.header!r} is mapped to unknown field {col.field!r}")
            if spec is None:
                extra += 1
                if extra > MAX_EXTRA_COLUMNS:
                    continue  # the mapper's proposal warned about these
            self._plan.append((col.index, self._putter(spec, col.header)))

    def __reduce__(self) -> tuple[Any, ...]:
        columns, region, fields = self._args  # the putters are closures: rebuild them
        return (_rebuild, (columns, region, fields))

    def normalize(self, values: Sequence[str]) -> NormalizedRow:
        """Clean one record's values into a `NormalizedRow` (never raises on bad data)."""
        row = NormalizedRow()
        n = len(values)
        if sum(map(len, values)) > MAX_CELL_CHARS:  # one C-level pass; rare to be true
            values = self._cut_cells(row, values)
        for index, put in self._plan:
            if index < n and (raw := values[index]) and (value := raw.strip()):
                # our own exports guard formula-looking cells with a quote: take it off
                put(row, restore(value) if value[0] == "'" else value)
        self._finish(row)
        return row

    def _cut_cells(self, row: NormalizedRow, values: Sequence[str]) -> list[str]:
        out = list(values)
        for i, value in enumerate(out):
            if len(value) > MAX_CELL_CHARS:
                out[i] = value[:MAX_CELL_CHARS]
                header = self._headers.get(i, f"column {i + 1}")
                row.warnings.append(
                    f"{header}: a cell of {len(value):,} characters was cut to {MAX_CELL_CHARS:,}"
                )
        return out

    # ---- per field ------------------------------------------------------

    def _putter(self, spec: FieldSpec | None, header: str) -> Putter:
        """The function that cleans and stores one value of this column."""
        if spec is None:

            def keep(row: NormalizedRow, value: str) -> None:
                row.extra[header] = value

            return keep
        store = _storer(spec, header)
        key, kind = spec.key, spec.type
        region = self.default_region
        if kind == "email":
            return lambda row, value: self._put_email(row, store, header, value)
        if key == "website":
            return lambda row, value: self._put_website(row, store, header, value)
        if kind == "domain":
            return lambda row, value: self._put_domain(row, store, header, value)
        clean: Callable[[str], str]
        if kind == "phone":
            clean = lambda v: c.clean_phone(v, region) or v  # noqa: E731
        elif kind == "number":
            clean = c.clean_number
        elif kind == "url":
            clean = lambda v: c.clean_url(v) or v  # noqa: E731
        elif kind == "name" and key == "full_name":
            clean = lambda v: " ".join(v.split())  # noqa: E731
        elif kind == "name":
            clean = lambda v: c.proper_case(" ".join(v.split()))  # noqa: E731
        else:  # text: the memo only makes repeated values one object (less to pickle)
            clean = str
        return _memo_putter(spec, header, clean)

    def _put_email(self, row: NormalizedRow, store: Any, header: str, value: str) -> None:
        cleaned = c.clean_email(value) or _first_of_many(value, c.clean_email, row, header)
        if cleaned is None:
            row.extra[header] = value
            row.warnings.append(f"{header}: {value!r} is not an email address")
            return
        store(row, value, cleaned)

    def _put_website(self, row: NormalizedRow, store: Any, header: str, value: str) -> None:
        if social := social_field_for(value):
            target = row.lead if social == "linkedin_url" else row.company
            if social not in target and (url := c.clean_url(value)):
                target[social] = url  # a Facebook page given as "website" is a Facebook page
            else:
                row.extra[header] = value
            return
        cleaned = c.clean_website(value) or _first_of_many(value, c.clean_website, row, header)
        if cleaned is None:
            row.extra[header] = value
            row.warnings.append(f"{header}: {value!r} is not a website")
            return
        store(row, value, cleaned)

    def _put_domain(self, row: NormalizedRow, store: Any, header: str, value: str) -> None:
        cleaned = c.domain_of(value) or value.lower()
        if c.is_shared_host(cleaned):
            row.extra[header] = value
            row.warnings.append(f"{header}: {value!r} is not a company's own domain")
            return
        store(row, value, cleaned)

    # ---- whole row ------------------------------------------------------

    def _finish(self, row: NormalizedRow) -> None:
        lead, company = row.lead, row.company
        full = lead.get("full_name")
        if full and "company_name" not in company and name_is_business(full):
            company["company_name"] = lead.pop("full_name")
            row.inferred.add("company_name")
            full = None
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
            lead.get("first_name")
            or lead.get("last_name")
            or full
            or email
            or lead.get("phone")
            or lead.get("mobile_phone")
            or company.get("company_phone")
            or company.get("company_name")
            or website
            or company.get("company_domain")
        ):
            row.errors.append(NO_DATA_ERROR)

    def _fix_linkedin(self, row: NormalizedRow) -> None:
        """A company page in the person column (or the reverse) moves to the right field."""
        url = row.lead.get("linkedin_url")
        if url and "company/" in url.lower() and "company_linkedin_url" not in row.company:
            person = linkedin_key(url)
            if person and person.startswith("company/"):
                row.company["company_linkedin_url"] = row.lead.pop("linkedin_url")
        page = row.company.get("company_linkedin_url")
        if page and "linkedin_url" not in row.lead:
            low = page.lower()
            if "/in/" in low or "/pub/" in low:
                key = linkedin_key(page)
                if key and key.startswith("in/"):
                    row.lead["linkedin_url"] = row.company.pop("company_linkedin_url")

    def _mine_notes(self, row: NormalizedRow, notes: str) -> None:
        lead, company = row.lead, row.company
        notes = notes[:MINE_CHARS]
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
        if "job_title" not in lead and (title := mine_job_title(notes)):
            lead["job_title"] = title
            row.inferred.add("job_title")
        if "company_name" not in company:
            domain = company.get("company_domain") or c.domain_of(company.get("website") or "")
            if not domain and (email := lead.get("email")):
                mail_domain = c.email_domain(email)
                domain = None if c.is_shared_host(mail_domain) else mail_domain
            if name := mine_company(notes, domain):
                company["company_name"] = name
                row.inferred.add("company_name")


def _rebuild(columns: list[Column], region: str, fields: Sequence[FieldSpec]) -> RowNormalizer:
    return RowNormalizer(columns, region, fields=fields)
