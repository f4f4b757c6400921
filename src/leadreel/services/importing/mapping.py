"""Propose a core field (or "keep as extra") for every column of a lead file.

Layers, first hit wins unless a later layer is more certain:
  1 saved     the user's mapping for the same header set (explicit: never overruled)
  2 synonym   exact header match after normalising (case, accents, punctuation;
              "E-Mail" == "email"), in several languages, with company prefixes
              ("Company City" -> company_city)
  3 fuzzy     rapidfuzz on the normalised header ("Frist Name")
  4 values    what the sample values look like (emails, URLs, phones, names ...);
              values also overrule a header that contradicts them ("Contact" = emails)
  5 free text a column of prose carrying emails, phones or links is `notes`, whatever
              its header ("Info", "About", "Comentarios"); the normaliser mines it
  6 file kind people or businesses, decided once for the whole file (`file_kind`);
              a business file's name column is the company name, its location and
              phone the company's
  7 ai        an optional provider, asked only about columns the rules are unsure of
              (`mapping_ai`: batched, cached); any error falls back to the rules
Then uniqueness: no two columns keep the same single-valued field; the less confident
goes to extra, unless both were mapped explicitly (saved). Every column carries the
`reason` for its field, in words, for the review page.
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
from leadreel.integrations.ai import AIProvider
from leadreel.services.dedupe import fold
from leadreel.services.importing import file_kind
from leadreel.services.importing.header_words import business_column, header_variants, lookalike
from leadreel.services.importing.mapping_ai import UNSURE_BELOW, ask_unsure
from leadreel.services.importing.normalize import MAX_EXTRA_COLUMNS
from leadreel.services.importing.value_signals import FIELD_FOR_SIGNAL, ValueProfile, profile

Source = Literal["saved", "synonym", "fuzzy", "values", "file", "ai", "none"]
__all__ = ["UNSURE_BELOW", "ColumnMapping", "MappingProposal", "propose_mapping"]
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
    reason: str = ""


class MappingProposal(BaseModel):
    """The mapping for a whole file, with notes for the user."""

    columns: list[ColumnMapping]
    warnings: list[str] = Field(default_factory=list)
    #: "people" or "businesses": what one row of the file is (`file_kind`).
    kind: str = "people"
    kind_score: float = 0.0
    kind_reasons: list[str] = Field(default_factory=list)
    kind_forced: bool = False

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
    for n, variant in enumerate(header_variants(header)):
        hit = _synonym_words(variant.split(" "), compact)
        if hit is not None:
            return hit[0], hit[1] - 0.02 * n
    return None


def _synonym_words(words: list[str], compact: dict[str, str]) -> tuple[str, float] | None:
    """A synonym, or one with a company/person word before or after it ("Teléfono empresa")."""
    whole = compact.get("".join(words))
    if whole:
        return whole, 0.93
    if len(words) < 2:
        return None
    for prefix, rest_words in ((words[0], words[1:]), (words[-1], words[:-1])):
        rest = compact.get("".join(rest_words))
        if not rest:
            continue
        if prefix in _COMPANY_PREFIXES:
            return _COMPANY_TWIN.get(rest, rest), 0.9
        if prefix in _PERSON_PREFIXES:
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


_SIGNAL_WORDS = {
    "email": "emails",
    "linkedin_person": "LinkedIn profiles",
    "linkedin_company": "LinkedIn company pages",
    "facebook": "Facebook pages",
    "instagram": "Instagram profiles",
    "twitter": "Twitter/X profiles",
    "url": "web addresses",
    "phone": "phone numbers",
    "country": "countries",
    "person_name": "person names",
    "business_name": "business names",
}


def _from_values(prof: ValueProfile, header: str = "") -> tuple[str, float, str] | None:
    top = prof.dominant()
    if top is None or top[0] not in FIELD_FOR_SIGNAL:
        return None
    signal, share = top
    if signal == "person_name" and prof.count >= 5 and prof.distinct < 0.5:
        return None  # one owner's name repeated on every row is not the lead
    if signal == "phone" and lookalike(header):
        return None  # a postal code, id, count or coordinate with many digits
    reason = f"{round(100 * share)}% of the sample values are {_SIGNAL_WORDS[signal]}"
    return FIELD_FOR_SIGNAL[signal], round(0.5 + 0.3 * share, 3), reason


def _contradicted(spec: FieldSpec, prof: ValueProfile) -> bool:
    """True when the values plainly are not what the header says."""
    if prof.count < 3:
        return False
    if spec.type == "email":
        return prof.share("email") < 0.3
    if spec.key == "website":  # a column of Google Maps or Yelp links is not the site
        return prof.share("shared_url") >= 0.6 or prof.share("free_text") >= 0.5
    if spec.type == "phone":
        return prof.share("decimal") >= 0.6 or prof.share("free_text") >= 0.5
    if spec.key in ("notes", "company_description"):  # French "Note" is a rating
        return prof.share("number") >= 0.8
    if spec.type in _WEAK_TYPES:
        return any(prof.share(s) >= 0.8 for s in ("email", "url", "phone", "free_text"))
    return False


def propose_mapping(
    headers: Sequence[str],
    sample_rows: Sequence[Sequence[str]],
    *,
    saved: Mapping[str, str | None] | None = None,
    provider: AIProvider | None = None,
    fields: Sequence[FieldSpec] = CORE_FIELDS,
    kind: file_kind.Kind | None = None,
) -> MappingProposal:
    """Map every column; see the module docstring for the layers.

    `kind` forces the file's kind ("people" or "businesses") instead of deciding it.
    """
    specs = tuple(fields)
    by_key = {s.key: s for s in specs}
    warnings: list[str] = []
    cols: list[ColumnMapping] = []
    profiles: list[ValueProfile] = []
    values: list[list[str]] = []
    for i, header in enumerate(headers):
        column = [row[i] for row in sample_rows if i < len(row)]
        values.append(column)
        prof = profile(column)
        profiles.append(prof)
        cols.append(_rule_mapping(i, header, prof, saved, specs, by_key))
    _free_text_columns(cols, profiles, by_key)
    _whole_names_in_first_name(cols, profiles)
    _fill_names_from_values(cols, profiles)
    decision = file_kind.decide_kind(cols, values, profiles)
    if kind is not None and kind != decision.kind:
        decision.kind, decision.forced = kind, True
        decision.reasons.insert(0, f"set to {kind} by the user")
    if decision.kind == "businesses":
        file_kind.apply_business_kind(cols, profiles, decision)
    else:
        file_kind.apply_people_context(cols)
    if provider is not None:
        ask_unsure(cols, sample_rows, specs, provider, warnings)
    cols = [c for c in cols if c.field is None or c.field in by_key]
    _resolve_conflicts(cols, by_key, warnings)
    _warn_wide(cols, warnings)
    return MappingProposal(
        columns=cols,
        warnings=warnings,
        kind=decision.kind,
        kind_score=decision.score,
        kind_reasons=decision.reasons,
        kind_forced=decision.forced,
    )


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
            return ColumnMapping(
                index=i,
                header=header,
                field=key,
                confidence=1.0,
                source="saved",
                reason="your saved mapping for files with these columns",
            )
    only_business = business_column(header)
    if only_business is not None:
        return ColumnMapping(
            index=i,
            header=header,
            field=None,
            confidence=0.9,
            source="synonym",
            reason=f"a business's {only_business} column: kept as an extra field",
        )
    hit: tuple[str, float] | None = _synonym(header, specs)
    source: Source = "synonym"
    if hit is None:
        hit, source = _fuzzy(header, specs), "fuzzy"
    by_values = _from_values(prof, header)
    if hit is not None and hit[0] not in by_key:  # a custom field list without that twin
        hit = None
    reason = ""
    if hit is not None:
        label = by_key[hit[0]].label
        reason = (
            f"the header names {label}"
            if source == "synonym"
            else f"the header is close to {label}"
        )
    if hit is not None and _contradicted(by_key[hit[0]], prof):
        hit, reason = None, f"the values do not look like {by_key[hit[0]].label}"
    if hit is None and by_values is not None and by_values[0] in by_key:
        if by_values[0] != "full_name":  # names from values are decided with context below
            hit, source, reason = (by_values[0], by_values[1]), "values", by_values[2]
    if hit is None:
        return ColumnMapping(
            index=i,
            header=header,
            field=None,
            confidence=0.0,
            source="none",
            reason=reason or "no field fits: kept as an extra field",
        )
    return ColumnMapping(
        index=i, header=header, field=hit[0], confidence=hit[1], source=source, reason=reason
    )


def _free_text_columns(
    cols: list[ColumnMapping], profiles: list[ValueProfile], by_key: dict[str, FieldSpec]
) -> None:
    """Prose carrying emails, phones or links is mined as `notes`, whatever its header."""
    if "notes" not in by_key:
        return
    for col, prof in zip(cols, profiles, strict=True):
        if col.source == "saved" or prof.count == 0:
            continue
        share = prof.share("free_text")
        if share >= 0.5 and col.field not in ("notes", "company_description"):
            col.field, col.confidence, col.source = "notes", round(0.6 + 0.3 * share, 3), "values"
            col.reason = (
                f"free text: {round(100 * share)}% of the values carry emails, phones or links"
                " (mined into empty fields, marked inferred)"
            )
        elif col.field == "notes" and share >= 0.3:
            col.reason += "; free text with contact data: mined into empty fields (inferred)"


def _whole_names_in_first_name(cols: list[ColumnMapping], profiles: list[ValueProfile]) -> None:
    """"Nome" / "Nombre" holding whole names ("Ana Souza") with no last-name column is
    the full name (in a business file the kind decision makes it the company name)."""
    fields = {c.field for c in cols}
    if "last_name" in fields or "full_name" in fields:
        return
    for col, prof in zip(cols, profiles, strict=True):
        if col.field == "first_name" and col.source != "saved":
            if prof.share("person_name") >= 0.6:
                col.field, col.source = "full_name", "values"
                col.reason += f"; {round(100 * prof.share('person_name'))}% are whole names"
            return


def _fill_names_from_values(cols: list[ColumnMapping], profiles: list[ValueProfile]) -> None:
    """A column of person names becomes `full_name` only if no header already names people."""
    if any(c.field in _NAME_FIELDS for c in cols):
        return
    for col, prof in zip(cols, profiles, strict=True):
        if col.field is None and col.source == "none":
            guess = _from_values(prof, col.header)
            if guess and guess[0] == "full_name":
                col.field, col.confidence, col.source, col.reason = (
                    guess[0],
                    guess[1],
                    "values",
                    guess[2],
                )
                return


def _warn_wide(cols: list[ColumnMapping], warnings: list[str]) -> None:
    extra = sum(1 for c in cols if c.field is None)
    if extra > MAX_EXTRA_COLUMNS:
        warnings.append(
            f"the file has {len(cols):,} columns: the mapped ones and the first "
            f"{MAX_EXTRA_COLUMNS} others are imported (as extra fields); "
            f"{extra - MAX_EXTRA_COLUMNS:,} more columns are not imported"
        )


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
                col.reason = f"{keep.header!r} holds {key}: kept as an extra field"
