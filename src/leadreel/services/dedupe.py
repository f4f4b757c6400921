"""Matching keys for companies and leads, the merge policy, and an in-memory index.

Why one module: the importer matches rows against each other (in one file) and
against the database with the *same* keys, so "is this the same company?" has
exactly one answer. Everything here is pure: no database, no I/O.

Matching order
    companies: domain, then normalised name
    leads:     email, then LinkedIn profile, then first+last name at the same company
A weaker key only matches when no stronger key disagrees (two rows with different
domains are different companies even when their names normalise alike).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from urllib.parse import unquote

_LEGAL_SUFFIXES = frozenset(
    """inc incorporated llc llp lp ltd limited corp corporation co company plc pllc pc
    gmbh mbh ag kg ug ohg ev gbr eg se sa sas sarl sasu eurl sl slu sau srl spa snc sapa
    bv nv vof cv oy oyj ab as asa aps kft sro zoo lda ltda me eireli pty pte bhd sdn
    kk cie group holding holdings""".split()
)
_NON_ALNUM = re.compile(r"[^0-9a-z]+")
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://")
_HOST_END = re.compile(r"[/?#\s]")
_INITIAL_DOTS = re.compile(r"(?<=\b[a-z])\.(?=[a-z]\b)")
_LINKEDIN = re.compile(r"linkedin\.com/(in|pub|company|school|showcase)/([^/?#\s]+)", re.I)


def fold(text: str) -> str:
    """Lower-case ASCII skeleton of a text: accents removed, ß->ss, æ->ae."""
    if text.isascii():
        return text.lower()
    text = text.casefold().replace("ß", "ss").replace("æ", "ae").replace("ø", "o")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


FREE_MAIL_DOMAINS = frozenset(
    """gmail.com googlemail.com outlook.com hotmail.com live.com msn.com yahoo.com ymail.com
    rocketmail.com icloud.com me.com mac.com aol.com gmx.de gmx.net gmx.at gmx.ch gmx.com
    web.de t-online.de freenet.de arcor.de posteo.de mailbox.org protonmail.com proton.me
    pm.me zoho.com mail.com yandex.ru yandex.com mail.ru orange.fr wanadoo.fr free.fr sfr.fr
    laposte.net libero.it virgilio.it tiscali.it alice.it qq.com 163.com 126.com comcast.net
    verizon.net att.net sbcglobal.net btinternet.com sky.com virginmedia.com hey.com
    fastmail.com tutanota.com seznam.cz wp.pl o2.pl interia.pl onet.pl bluewin.ch telenet.be
    skynet.be ziggo.nl kpnmail.nl hetnet.nl planet.nl home.nl terra.com.br bol.com.br
    uol.com.br sapo.pt hotmail.es hotmail.fr hotmail.de hotmail.it hotmail.co.uk""".split()
)
# Providers that exist under many country suffixes: yahoo.co.uk, outlook.de, gmx.fr ...
_FREE_MAIL_LABELS = frozenset("gmail yahoo hotmail outlook live gmx aol icloud yandex".split())

# Sites many businesses share: a profile there says nothing about the company's domain.
_SHARED_HOSTS = frozenset(
    """facebook.com fb.com instagram.com linkedin.com twitter.com x.com youtube.com tiktok.com
    pinterest.com yelp.com google.com goo.gl g.page business.site linktr.ee wa.me whatsapp.com
    t.me medium.com github.com wixsite.com sites.google.com tripadvisor.com""".split()
)


def is_free_mail(domain: str | None) -> bool:
    """True for consumer mail providers, whose domain says nothing about a company."""
    if not domain:
        return False
    domain = domain.lower()
    return domain in FREE_MAIL_DOMAINS or domain.split(".", 1)[0] in _FREE_MAIL_LABELS


@lru_cache(maxsize=8192)
def is_shared_host(domain: str | None) -> bool:
    """True for free mail and social/directory sites (or their subdomains): never a company's."""
    if not domain:
        return False
    host = domain.lower()
    if is_free_mail(host):
        return True
    labels = host.split(".")
    return any(".".join(labels[i:]) in _SHARED_HOSTS for i in range(len(labels) - 1))


@lru_cache(maxsize=8192)
def company_key_domain(domain: str | None) -> str | None:
    """`https://WWW.Acme.com/contact` -> `acme.com`; None when there is no host."""
    if not domain:
        return None
    host = domain.strip().lower()
    host = _SCHEME.sub("", host, count=1)
    host = _HOST_END.split(host, maxsplit=1)[0]
    host = host.rsplit("@", 1)[-1].split(":", 1)[0].strip(".")
    if host.startswith("www."):
        host = host[4:]
    return host if "." in host else None


@lru_cache(maxsize=8192)
def normalize_company_name(name: str | None) -> str | None:
    """Comparable company name: case, accents, punctuation and legal suffixes dropped.

    "ACME, Inc." == "Acme Inc" == "Acme"; "Müller GmbH & Co. KG" == "muller".
    """
    if not name:
        return None
    text = fold(name).replace("&", " and ").replace("+", " and ").replace("'", "").replace("’", "")
    text = _INITIAL_DOTS.sub("", text)  # s.a. -> sa., l.l.c. -> llc.
    tokens = [t for t in _NON_ALNUM.split(text.replace(".", "")) if t]
    while len(tokens) > 1 and (tokens[-1] in _LEGAL_SUFFIXES or tokens[-1] == "and"):
        tokens.pop()
    if len(tokens) > 1 and tokens[0] == "the":
        tokens.pop(0)
    return " ".join(tokens) or None


def lead_email_key(email: str | None) -> str | None:
    """Trimmed, lower-cased email, or None when it is not an address."""
    if not email:
        return None
    key = email.strip().lower()
    return key if "@" in key and "." in key.rsplit("@", 1)[-1] else None


def linkedin_key(url: str | None) -> str | None:
    """`https://www.linkedin.com/in/Jane-Doe-12/?x=1` -> `in/jane-doe-12`."""
    if not url:
        return None
    m = _LINKEDIN.search(url)
    if not m:
        return None
    kind = "in" if m.group(1).lower() == "pub" else m.group(1).lower()
    return f"{kind}/{unquote(m.group(2)).strip().lower()}"


def person_company_key(first: str | None, last: str | None, company_key: str | None) -> str | None:
    """Name-at-company key; None unless there is a last name and a company."""
    if not last or not company_key:
        return None
    person = _NON_ALNUM.sub("", fold(f"{first or ''}|{last}").replace("|", "x"))
    return f"{person}@{company_key}"


def company_keys(company: Mapping[str, Any]) -> dict[str, str | None]:
    """The matching keys of a normalised company dict, strongest first."""
    domain = company_key_domain(company.get("company_domain") or company.get("website"))
    return {
        "domain": None if is_shared_host(domain) else domain,
        "name": normalize_company_name(company.get("company_name")),
    }


def company_match_key(company: Mapping[str, Any]) -> str | None:
    """One key naming a company for lead matching: its domain, else its normalised name."""
    keys = company_keys(company)
    return keys["domain"] or (f"name:{keys['name']}" if keys["name"] else None)


def lead_keys(lead: Mapping[str, Any], company_key: str | None) -> dict[str, str | None]:
    """The matching keys of a normalised lead dict, strongest first."""
    return {
        "email": lead_email_key(lead.get("email")),
        "linkedin": linkedin_key(lead.get("linkedin_url")),
        "name_company": person_company_key(
            lead.get("first_name"), lead.get("last_name"), company_key
        ),
    }


# ---- merge policy -----------------------------------------------------------


@dataclass(slots=True)
class MergeResult:
    """Outcome of `merge_fields`; unpacks as `(merged, previous)`.

    `previous` holds, for every field that changed, its value before the merge
    (None when it was empty), so an import can be undone. `conflicts` lists
    fields where both sides had different non-empty values: existing wins.
    """

    merged: dict[str, Any]
    previous: dict[str, Any]
    conflicts: list[tuple[str, Any, Any]] = field(default_factory=list)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter((self.merged, self.previous))


def merge_fields(existing: Mapping[str, Any], incoming: Mapping[str, Any]) -> MergeResult:
    """Fill empty fields from `incoming`; never overwrite, never blank a value."""
    merged = dict(existing)
    previous: dict[str, Any] = {}
    conflicts: list[tuple[str, Any, Any]] = []
    for key, new in incoming.items():
        if new is None or (type(new) is str and not new.strip()):
            continue
        old = existing.get(key)
        if old is None or (type(old) is str and not old.strip()):
            merged[key] = new
            previous[key] = old
        elif str(old).strip().casefold() != str(new).strip().casefold():
            conflicts.append((key, old, new))
    return MergeResult(merged, previous, conflicts)


def fill_from(current: dict[str, Any], result: Any, previous: dict[str, Any]) -> None:
    """Apply a `merge_fields` result to `current`; `previous` keeps each field's first old value."""
    for key, old in result.previous.items():
        previous.setdefault(key, old)
        current[key] = result.merged[key]


# ---- leads --------------------------------------------------------------------------


# ---- in-memory index --------------------------------------------------------


class DedupeIndex:
    """Maps matching keys to entity ids, for in-file matching and DB lookups alike.

    Keys come strongest kind first (see `company_keys` / `lead_keys`), either as a dict
    {kind: key} or, on the import's hot path, as a tuple in the order of the `kinds`
    given to the constructor. A hit on a weaker kind is rejected when a stronger kind
    is known on both sides and differs.
    """

    def __init__(self, kinds: Sequence[str] | None = None) -> None:
        self._kinds: tuple[str, ...] = tuple(kinds or ())
        self._tables: list[dict[str, Any]] = [{} for _ in self._kinds]  # per kind: key -> id
        self._keys_of: dict[Any, tuple[str | None, ...]] = {}

    def __len__(self) -> int:
        return len(self._keys_of)

    def _tuple(self, keys: Mapping[str, str | None] | tuple[str | None, ...]) -> tuple:
        if isinstance(keys, tuple):
            return keys
        if not self._kinds:  # the first dict names the kinds
            self._kinds = tuple(keys)
            self._tables = [{} for _ in self._kinds]
        if any(kind not in self._kinds for kind in keys):
            raise ValueError(f"keys {sorted(keys)} do not match the index's {self._kinds}")
        return tuple(keys.get(kind) for kind in self._kinds)

    def find(self, keys: Mapping[str, str | None] | tuple[str | None, ...]) -> Any | None:
        """The id of the entity these keys match, or None."""
        keys = self._tuple(keys)
        tables = self._tables
        stronger = False  # an earlier kind had a key (a None key never conflicts)
        for i, key in enumerate(keys):
            if key is None:
                continue
            hit = tables[i].get(key)
            if hit is not None:
                if not stronger:
                    return hit
                known = self._keys_of[hit]
                for j in range(i):
                    old, mine = known[j], keys[j]
                    if old is not None and mine is not None and old != mine:
                        break
                else:
                    return hit
            stronger = True
        return None

    def add(self, entity_id: Any, keys: Mapping[str, str | None] | tuple[str | None, ...]) -> None:
        """Register (or extend) an entity's keys; first owner of a key keeps it."""
        keys = self._tuple(keys)
        known = self._keys_of.get(entity_id)
        if known is None:
            self._keys_of[entity_id] = keys
        elif known != keys:
            self._keys_of[entity_id] = tuple(
                old if old is not None else new for old, new in zip(known, keys, strict=True)
            )
        for table, key in zip(self._tables, keys, strict=True):
            if key is not None and key not in table:
                table[key] = entity_id

    def match_or_add(
        self, new_id: Any, keys: Mapping[str, str | None] | tuple[str | None, ...]
    ) -> tuple[Any, bool]:
        """Return (id, created): the matching id, or `new_id` freshly registered."""
        if type(keys) is not tuple:
            keys = self._tuple(keys)
        for table, key in zip(self._tables, keys, strict=True):
            if key is not None and key in table:
                break
        else:  # no key is known: the usual case on an import's hot path
            self._keys_of[new_id] = keys
            for table, key in zip(self._tables, keys, strict=True):
                if key is not None:
                    table[key] = new_id
            return new_id, True
        hit = self.find(keys)
        if hit is not None:
            self.add(hit, keys)
            return hit, False
        self.add(new_id, keys)
        return new_id, True


class InMemoryDeduper:
    """Merge the rows of one file into distinct companies and leads.

    The importer runs this before touching the database (in-file duplicates),
    and the quality tests use it to count distinct entities. Ids are 0-based
    insertion numbers; `lead_company[lead_id]` is the lead's company id.
    """

    def __init__(self) -> None:
        self.company_index = DedupeIndex()
        self.lead_index = DedupeIndex()
        self.companies: dict[int, dict[str, Any]] = {}
        self.leads: dict[int, dict[str, Any]] = {}
        self.lead_company: dict[int, int | None] = {}
        self.conflicts: list[tuple[str, Any, Any]] = []

    def add(self, lead: Mapping[str, Any], company: Mapping[str, Any]) -> tuple[int | None, int]:
        """Match or create the row's company and lead; returns (company_id, lead_id)."""
        company_id: int | None = None
        if company:
            keys = company_keys(company)
            if any(keys.values()):
                company_id, _ = self.company_index.match_or_add(len(self.companies), keys)
                self._merge(self.companies, company_id, company)
                self.company_index.add(company_id, company_keys(self.companies[company_id]))
        # The resolved company id names the company for name matching, so "Acme" and
        # "acme.com" rows of one company still match the same person.
        company_ref = f"#{company_id}" if company_id is not None else None
        lead_id, _ = self.lead_index.match_or_add(len(self.leads), lead_keys(lead, company_ref))
        self._merge(self.leads, lead_id, lead)
        if self.lead_company.get(lead_id) is None:
            self.lead_company[lead_id] = company_id
        return company_id, lead_id

    def _merge(
        self, store: dict[int, dict[str, Any]], key: int, incoming: Mapping[str, Any]
    ) -> None:
        result = merge_fields(store.get(key, {}), incoming)
        store[key] = result.merged
        self.conflicts.extend(result.conflicts)
