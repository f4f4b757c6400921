"""Value-level cleaners shared by the normaliser and the mapper's value layer.

Why cached: lead files repeat values a lot (the same company site, city or
phone prefix on thousands of rows) and the heavy parsers (nameparser,
phonenumbers, tldextract) cost tens of microseconds each. Every cleaner here is
a pure function of its text, so `lru_cache` is safe and makes a million-row
import affordable. Plain cases take a fast path before the heavy parser.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

import phonenumbers
from nameparser import HumanName

from leadreel.services.dedupe import (  # noqa: F401 - re-exported for callers
    FREE_MAIL_DOMAINS,
    company_key_domain,
    is_free_mail,
    is_shared_host,
)

EMAIL_RE = re.compile(r"^[^@\s<>(),;:\"]+@[^@\s<>(),;:\"]+\.[a-z]{2,}$", re.I)
EMAIL_IN_TEXT = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}", re.I)
URL_IN_TEXT = re.compile(
    r"(?:https?://|www\.)[^\s<>\"',;]+|\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:com|net|org|io|co|de|fr|"
    r"es|nl|it|pt|uk|eu|ch|at|be|ca|au|us|info|biz|br|mx|ar|cl|pl|se|dk|no|fi|ie|nz|app|dev|shop)"
    r"(?:\.[a-z]{2})?\b(?:/[^\s<>\"',;]*)?",
    re.I,
)
PHONE_IN_TEXT = re.compile(r"(?<![\w/.])\+?\(?\d[\d ().-]{6,18}\d(?![\w/])")
_E164 = re.compile(r"^\+[1-9]\d{7,14}$")
_PLAIN_NAME_TOKEN = re.compile(r"^[^\W\d_]+(?:['’-][^\W\d_]+)*$")
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://", re.I)
_PATH_START = re.compile(r"[/?#]")
_HOST_CHARS = re.compile(r"[a-z0-9.:\-\u00a0-\uffff]+")
_PHONE_PUNCT = re.compile(r"[\s().-]")
_DROP_DIGITS = str.maketrans("", "", "0123456789")

_NANP_REGIONS = frozenset({"US", "CA", "PR"})
_TITLES = frozenset(
    """dr dr. mr mr. mrs mrs. ms ms. miss mx prof prof. sir dame herr frau m. mme mme. mlle
    sr. sra. srta. dott. dott.ssa ing. mag. dipl. rev rev. fr.""".split()
)
_SUFFIXES = frozenset(
    """jr jr. sr sr. ii iii iv v phd ph.d. md m.d. esq esq. mba cpa dds rn jd""".split()
)
_ODD_NAME = re.compile(r"[()\"“”&/@\d]| and | und | et | y ", re.I)
_PARTICLES = frozenset(
    "van von der den de del della di da das do dos du la le lo y zu ten ter bin al el st".split()
)
_tld_extractor: Any = None


def _registered(host: str) -> str:
    global _tld_extractor
    if _tld_extractor is None:
        import tldextract  # noqa: PLC0415 - no I/O at import; never downloads

        _tld_extractor = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)
    parts = _tld_extractor(host)
    if not parts.suffix or not parts.domain:
        return host
    return f"{parts.domain}.{parts.suffix}"


# ---- domains and URLs -------------------------------------------------------


@lru_cache(maxsize=8192)
def domain_of(url_or_host: str) -> str | None:
    """Registered domain of a site, lower case, without www: `shop.acme.co.uk` -> `acme.co.uk`."""
    host = company_key_domain(url_or_host)
    if host is None:
        return None
    if host.count(".") == 1:  # fast path: already "name.tld"
        return host
    return _registered(host)


@lru_cache(maxsize=8192)
def clean_website(raw: str) -> str | None:
    """`WWW.Acme.com/contact` -> `https://www.acme.com`: scheme added, path dropped."""
    text = raw.strip()
    if not text or " " in text or "@" in text.split("/", 1)[0]:
        return None
    m = _SCHEME.match(text)
    scheme = m.group(0).lower() if m else "https://"
    rest = text[m.end() :] if m else text
    host = _PATH_START.split(rest, maxsplit=1)[0].lower().strip(".")
    if "." not in host or not _HOST_CHARS.fullmatch(host):
        return None
    if scheme not in ("http://", "https://"):
        scheme = "https://"
    return scheme + host


@lru_cache(maxsize=8192)
def clean_url(raw: str) -> str | None:
    """A profile URL with a scheme and without tracking noise; None when not a URL."""
    text = raw.strip()
    if not text or " " in text or "." not in text:
        return None
    if not _SCHEME.match(text):
        text = "https://" + text
    return text.split("?", 1)[0].rstrip("/")


# ---- numbers ----------------------------------------------------------------

_GROUPED = re.compile(r"^\d{1,3}(?:([,. '])\d{3})(?:\1\d{3})*$")
_DECIMAL = re.compile(r"^\d+(?:[.,]\d+)?$")
_MULTIPLIERS = {
    "k": 1_000,
    "m": 1_000_000,
    "mm": 1_000_000,
    "mio": 1_000_000,
    "b": 1_000_000_000,
    "bn": 1_000_000_000,
    "mrd": 1_000_000_000,
}


@lru_cache(maxsize=8192)
def clean_number(raw: str) -> str:
    """`"29,483,000"` -> `"29483000"`, `"$1.2M"` -> `"1200000"`; anything unclear kept as written.

    Ranges ("11-50") and words stay as they are: a wrong number is worse than text.
    """
    text = raw.strip().replace("\u00a0", " ")
    core = text.strip("$€£ ").rstrip("+").strip()
    low = core.lower()
    for suffix in sorted(_MULTIPLIERS, key=len, reverse=True):
        if low.endswith(suffix) and _DECIMAL.match(low[: -len(suffix)].strip()):
            value = float(low[: -len(suffix)].strip().replace(",", ".")) * _MULTIPLIERS[suffix]
            return str(round(value))
    if core.isdigit():
        return core
    if _GROUPED.match(core):
        return re.sub(r"[,. ']", "", core)
    return text


# ---- emails and phones ------------------------------------------------------


@lru_cache(maxsize=8192)
def clean_email(raw: str) -> str | None:
    """Trimmed, lower-cased address; None when it is not an email."""
    text = raw.strip().strip("<>").lower()
    if text.startswith("mailto:"):
        text = text[7:]
    return text if EMAIL_RE.match(text) else None


def email_domain(email: str) -> str | None:
    """The domain part of a (clean) email."""
    return email.rsplit("@", 1)[1] if "@" in email else None


@lru_cache(maxsize=8192)
def clean_phone(raw: str, region: str = "US") -> str | None:
    """E.164 (`+15125551803`) when the number is possible, else None."""
    text = raw.strip().replace("(0)", " ")
    compact = _PHONE_PUNCT.sub("", text)
    if len(compact) - len(compact.translate(_DROP_DIGITS)) < 7:
        return None
    if _E164.match(compact):
        return compact
    if region in _NANP_REGIONS and compact.isdigit():  # fast path: (512) 555-0100
        if len(compact) == 11 and compact[0] == "1":
            compact = compact[1:]
        if len(compact) == 10 and compact[0] in "23456789":
            return "+1" + compact
    if compact.startswith("00") and compact[2:].isdigit():
        compact = "+" + compact[2:]
    try:
        num = phonenumbers.parse(compact if compact.startswith("+") else text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(num):
        return None
    return phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164)


# ---- names ------------------------------------------------------------------


def _cap_token(token: str, first: bool) -> str:
    low = token.lower()
    if not first and low in _PARTICLES:
        return low
    for sep in ("-", "'", "’"):
        if sep in token:
            return sep.join(_cap_token(p, True) for p in token.split(sep))
    if low.startswith("mc") and len(low) > 3:
        return "Mc" + low[2:].capitalize()
    if low.startswith("mac") and len(low) > 5 and low[3] not in "aeiouh":
        return "Mac" + low[3:].capitalize()
    return low.capitalize()


@lru_cache(maxsize=8192)
def proper_case(text: str) -> str:
    """Proper-case a name written in ALL CAPS or all lower case; keep mixed case as written."""
    text = " ".join(text.split())
    if not text or not (text.isupper() or text.islower()):
        return text
    tokens = text.split(" ")
    last = len(tokens) - 1
    return " ".join(_cap_token(t, i == last) for i, t in enumerate(tokens))


@lru_cache(maxsize=8192)
def split_name(full: str) -> tuple[str, str]:
    """Split a person's name into (first, last): titles and suffixes dropped.

    Handles "Last, First", "Dr. ...", "... Jr.", particles ("van der Berg",
    "De la Cruz") and ALL CAPS; names already in mixed case keep their casing.
    """
    text = " ".join(full.split())
    if not text:
        return "", ""
    parts = text.split(" ")
    if len(parts) == 2 and all(_PLAIN_NAME_TOKEN.match(p) and p.istitle() for p in parts):
        return parts[0], parts[1]  # fast path: "Jane Doe"
    fast = _split_plain(text)
    if fast is not None:
        return fast
    return _split_with_nameparser(text)


def _split_plain(text: str) -> tuple[str, str] | None:
    """Rule-based split for the usual shapes; None sends odd names to nameparser.

    nameparser costs about a millisecond per name, far too slow for a million
    distinct names, while titles, suffixes, "Last, First" and particles cover
    nearly every name in a lead file.
    """
    if _ODD_NAME.search(text) or text.count(",") > 1:
        return None
    if "," in text:
        left, right = (p.strip() for p in text.split(","))
        if not left or not right:
            return None
        if right.lower() in _SUFFIXES:
            text = left
        else:
            text = f"{right} {left}"
    tokens = text.split(" ")
    while len(tokens) > 1 and tokens[0].lower() in _TITLES:
        tokens.pop(0)
    while len(tokens) > 1 and tokens[-1].lower().rstrip(",") in _SUFFIXES:
        tokens.pop()
    if len(tokens) < 2 or len(tokens) > 5:
        return None
    if not all(_PLAIN_NAME_TOKEN.match(t) for t in tokens):
        return None
    cut = len(tokens) - 1
    for i in range(1, len(tokens) - 1):
        if tokens[i].lower() in _PARTICLES:
            cut = i
            break
    first, last = " ".join(tokens[:cut]), " ".join(tokens[cut:])
    joined = " ".join(tokens)
    if joined.isupper() or joined.islower():
        first = " ".join(_cap_token(t, True) for t in tokens[:cut])
        last = proper_case(last.lower()) if cut < len(tokens) - 1 else _cap_token(last, True)
    return first, last


def _split_with_nameparser(text: str) -> tuple[str, str]:
    shouting = text.isupper() or text.islower()
    name = HumanName(text)
    if shouting:
        name.capitalize(force=True)
    first = " ".join(p for p in (name.first, name.middle) if p)
    last = name.last
    if not first and not last:
        return text, ""
    return first, last
