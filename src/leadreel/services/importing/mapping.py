"""Propose a core field (or "keep as extra") for every column of a lead file.

Layers, first hit wins unless a later layer is more certain:
  1 saved     the user's mapping for the same header set (explicit: never overruled)
  2 synonym   exact header match after normalising (case, accents, punctuation;
              "E-Mail" == "email"), in several languages, with company prefixes
              ("Company City" -> company_city)
  3 fuzzy     rapidfuzz on the normalised header ("Frist Name")
  4 values    what the sample values look like (emails, URLs, phones, names ...);
              values also overrule a header that contradicts them ("Contact" = emails)
  5 ai        an optional provider, asked only about columns the rules are unsure of;
              any provider error falls back to the rules with a warning
Then context (location columns with no person fields belong to the company) and
uniqueness: no two columns keep the same single-valued field; the less confident
goes to extra, unless both were mapped explicitly (saved).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Literal

from pydantic import BaseModel, Field
from rapidfuzz import fuzz, process

from leadreel.fields import CORE_FIELDS, FieldSpec
from leadreel.integrations.ai import AIProvider, AIProviderError
from leadreel.services.dedupe import fold
from leadreel.services.importing.value_signals import FIELD_FOR_SIGNAL, ValueProfile, profile

Source = Literal["saved", "synonym", "fuzzy", "values", "ai", "none"]
UNSURE_BELOW = 0.7
FUZZY_CUTOFF = 86.0

_COMPANY_PREFIXES = (
    "company",
    "account",
    "organization",
    "organisation",
    "org",
    "business",
    "firm",
    "firmen",
    "unternehmens",
    "unternehmen",
    "entreprise",
    "empresa",
    "bedrijfs",
    "bedrijf",
    "azienda",
    "hq",
    "headquarters",
    "billing",
    "shipping",
    "office",
)
_PERSON_PREFIXES = (
    "contact",
    "person",
    "lead",
    "primary",
    "personal",
    "prospect",
    "mailing",
    "home",
    "private",
)
_COMPANY_TWIN = {
    "city": "company_city",
    "state": "company_state",
    "country": "company_country",
    "phone": "company_phone",
    "linkedin_url": "company_linkedin_url",
}
# In a file about businesses only, these header words describe the business.
_BUSINESS_CONTEXT = {
    "city": "company_city",
    "state": "company_state",
    "country": "company_country",
    "phone": "company_phone",
}
_PERSON_FIELDS = frozenset(
    {"first_name", "last_name", "full_name", "job_title", "linkedin_url", "mobile_phone"}
)
_NAME_FIELDS = frozenset({"first_name", "last_name", "full_name"})
# Field types a strong value signal is allowed to overrule (a "Contact" header of emails).
_WEAK_TYPES = frozenset({"text", "name"})


class ColumnMapping(BaseModel):
    """One column's proposed field (None = keep as an extra field)."""

    index: int
    header: str
    field: str | None
    confidence: float = Field(ge=0.0, le=1.0)
    source: Source


class MappingProposal(BaseModel):
    """The mapping for a whole file, with notes for the user."""

    columns: list[ColumnMapping]
    warnings: list[str] = Field(default_factory=list)

    def as_dict(self) -> dict[str, str | None]:
        """header -> field, the shape a saved mapping is stored in."""
        return {c.header: c.field for c in self.columns}


def normalize_header(header: str) -> str:
    """`" E-Mail Adresse "` -> `"e mail adresse"`: folded words only."""
    return " ".join(re.split(r"[^0-9a-z]+", fold(header))).strip()


def _compact(header: str) -> str:
    return normalize_header(header).replace(" ", "")


def header_signature(headers: Sequence[str]) -> str:
    """Stable id of a header set (order and spelling noise ignored), to find saved mappings."""
    names = sorted(_compact(h) for h in headers)
    return hashlib.sha256("\x1f".join(names).encode()).hexdigest()[:32]


@lru_cache(maxsize=8)
def _synonym_tables(fields: tuple[FieldSpec, ...]) -> tuple[dict[str, str], dict[str, str]]:
    """(compact synonym -> key, spaced synonym -> key); the first field to claim a word keeps it."""
    compact: dict[str, str] = {}
    spaced: dict[str, str] = {}
    for spec in fields:
        for word in spec.synonyms:
            compact.setdefault(_compact(word), spec.key)
            spaced.setdefault(normalize_header(word), spec.key)
    compact.pop("", None)
    spaced.pop("", None)
    return compact, spaced


def _synonym(header: str, fields: tuple[FieldSpec, ...]) -> tuple[str, float] | None:
    compact, _ = _synonym_tables(fields)
    key = _compact(header)
    if key in compact:
        return compact[key], 0.95
    words = normalize_header(header).split(" ")
    if len(words) > 1 and words[0] in _COMPANY_PREFIXES:
        rest = compact.get("".join(words[1:]))
        if rest:
            return _COMPANY_TWIN.get(rest, rest), 0.9
    if len(words) > 1 and words[0] in _PERSON_PREFIXES:
        rest = compact.get("".join(words[1:]))
        if rest:
            return rest, 0.9
    return None


def _fuzzy(header: str, fields: tuple[FieldSpec, ...]) -> tuple[str, float] | None:
    _, spaced = _synonym_tables(fields)
    norm = normalize_header(header)
    if len(norm) < 4:
        return None
    hit = process.extractOne(
        norm, list(spaced), scorer=fuzz.token_sort_ratio, score_cutoff=FUZZY_CUTOFF
    )
    if hit is None:
        return None
    return spaced[hit[0]], round(hit[1] / 100 * 0.85, 3)


def _from_values(prof: ValueProfile) -> tuple[str, float] | None:
    top = prof.dominant()
    if top is None or top[0] not in FIELD_FOR_SIGNAL:
        return None
    signal, share = top
    if signal == "person_name" and prof.count >= 5 and prof.distinct < 0.5:
        return None  # one owner's name repeated on every row is not the lead
    return FIELD_FOR_SIGNAL[signal], round(0.5 + 0.3 * share, 3)


def _contradicted(spec: FieldSpec, prof: ValueProfile) -> bool:
    """True when the values plainly are not what the header says."""
    if prof.count < 3:
        return False
    if spec.type == "email":
        return prof.share("email") < 0.3
    if spec.type in _WEAK_TYPES:
        return any(prof.share(s) >= 0.8 for s in ("email", "url", "phone"))
    return False


def propose_mapping(
    headers: Sequence[str],
    sample_rows: Sequence[Sequence[str]],
    *,
    saved: Mapping[str, str | None] | None = None,
    provider: AIProvider | None = None,
    fields: Sequence[FieldSpec] = CORE_FIELDS,
) -> MappingProposal:
    """Map every column; see the module docstring for the layers."""
    specs = tuple(fields)
    by_key = {s.key: s for s in specs}
    warnings: list[str] = []
    cols: list[ColumnMapping] = []
    profiles: list[ValueProfile] = []
    for i, header in enumerate(headers):
        prof = profile([row[i] for row in sample_rows if i < len(row)])
        profiles.append(prof)
        cols.append(_rule_mapping(i, header, prof, saved, specs, by_key))
    _business_names_from_values(cols, profiles)
    _fill_names_from_values(cols, profiles)
    _apply_context(cols)
    if provider is not None:
        _apply_ai(cols, headers, sample_rows, specs, provider, warnings)
    _resolve_conflicts(cols, by_key, warnings)
    return MappingProposal(columns=cols, warnings=warnings)


def _rule_mapping(
    i: int,
    header: str,
    prof: ValueProfile,
    saved: Mapping[str, str | None] | None,
    specs: tuple[FieldSpec, ...],
    by_key: dict[str, FieldSpec],
) -> ColumnMapping:
    if saved is not None and header in saved:
        key = saved[header]
        if key is None or key in by_key:
            return ColumnMapping(index=i, header=header, field=key, confidence=1.0, source="saved")
    hit: tuple[str, float] | None = _synonym(header, specs)
    source: Source = "synonym"
    if hit is None:
        hit, source = _fuzzy(header, specs), "fuzzy"
    by_values = _from_values(prof)
    if hit is not None and hit[0] not in by_key:  # a custom field list without that twin
        hit = None
    if hit is not None and _contradicted(by_key[hit[0]], prof):
        hit = None
    if hit is None and by_values is not None and by_values[0] in by_key:
        if by_values[0] != "full_name":  # names from values are decided with context below
            hit, source = by_values, "values"
    if hit is None:
        return ColumnMapping(index=i, header=header, field=None, confidence=0.0, source="none")
    return ColumnMapping(index=i, header=header, field=hit[0], confidence=hit[1], source=source)


def _business_names_from_values(cols: list[ColumnMapping], profiles: list[ValueProfile]) -> None:
    """ "Name"/"Title" holding business names (a maps export) is the company name.

    Business names have no reliable shape ("Joe's Pizza" looks like a person), so:
    values with business words ("LLC", "Roofing", "&") decide; and a "Title"
    column that holds no job titles, in a file with no person columns that does
    describe businesses (site, address ...), is the business name too.
    """
    if any(c.field == "company_name" for c in cols):
        return
    others = {c.field for c in cols}
    no_people = not (others & (_NAME_FIELDS | {"linkedin_url", "mobile_phone"}))
    businessy = bool(others & {"website", "company_address", "company_domain", "industry"})
    for col, prof in zip(cols, profiles, strict=True):
        if col.source not in ("synonym", "fuzzy") or col.field not in ("full_name", "job_title"):
            continue
        if prof.count == 0 or prof.share("job_title") >= 0.3:
            continue
        by_words = prof.share("business_name") >= 0.5
        if by_words or (col.field == "job_title" and no_people and businessy):
            col.field, col.confidence, col.source = "company_name", 0.75, "values"
            return


def _fill_names_from_values(cols: list[ColumnMapping], profiles: list[ValueProfile]) -> None:
    """A column of person names becomes `full_name` only if no header already names people."""
    if any(c.field in _NAME_FIELDS for c in cols):
        return
    for col, prof in zip(cols, profiles, strict=True):
        if col.field is None and col.source == "none":
            guess = _from_values(prof)
            if guess and guess[0] == "full_name":
                col.field, col.confidence, col.source = guess[0], guess[1], "values"
                return


def _apply_context(cols: list[ColumnMapping]) -> None:
    """City/state/country/phone in a file about businesses only belong to the company."""
    if any(c.field in _PERSON_FIELDS for c in cols):
        return
    if not any(c.field in ("company_name", "website", "company_domain") for c in cols):
        return
    for col in cols:
        if col.source != "saved" and col.field in _BUSINESS_CONTEXT:
            col.field = _BUSINESS_CONTEXT[col.field]


def _apply_ai(
    cols: list[ColumnMapping],
    headers: Sequence[str],
    sample_rows: Sequence[Sequence[str]],
    specs: tuple[FieldSpec, ...],
    provider: AIProvider,
    warnings: list[str],
) -> None:
    unsure = [c for c in cols if c.source != "saved" and c.confidence < UNSURE_BELOW]
    if not unsure:
        return
    try:
        suggestions = provider.suggest_mapping(list(headers), list(sample_rows)[:5], list(specs))
    except AIProviderError as exc:
        warnings.append(f"AI mapping unavailable ({exc}); used the rules instead")
        return
    except Exception as exc:  # a third-party provider must not break the import
        warnings.append(f"AI mapping failed ({type(exc).__name__}); used the rules instead")
        return
    known = {s.key for s in specs}
    by_header = {s.header: s for s in suggestions}
    for col in unsure:
        sug = by_header.get(col.header)
        if sug is None or (sug.field is not None and sug.field not in known):
            continue
        if sug.confidence > col.confidence:
            col.field, col.confidence, col.source = sug.field, round(sug.confidence, 3), "ai"


def _resolve_conflicts(
    cols: list[ColumnMapping], by_key: dict[str, FieldSpec], warnings: list[str]
) -> None:
    claimed: dict[str, list[ColumnMapping]] = {}
    for col in cols:
        if col.field is not None and by_key[col.field].single:
            claimed.setdefault(col.field, []).append(col)
    for key, group in claimed.items():
        contenders = [c for c in group if c.source != "saved"]
        if len(group) < 2 or not contenders:
            continue
        keep = next((c for c in group if c.source == "saved"), None)
        if keep is None:
            keep = max(contenders, key=lambda c: (c.confidence, -c.index))
        for col in contenders:
            if col is not keep:
                warnings.append(
                    f"column {col.header!r} also looks like {key}; "
                    f"{keep.header!r} keeps it and {col.header!r} stays an extra field"
                )
                col.field, col.confidence, col.source = None, 0.0, "none"
