"""What a column's values look like: the mapper's fourth layer.

Why separate from the header rules: headers lie ("Contact" holding emails) or
say nothing ("Column 7"), while a handful of sample values usually tell the
type plainly. `profile` turns sample values into fractions per signal; the
mapper decides what to do with them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from leadreel.services.dedupe import company_key_domain, fold, is_shared_host
from leadreel.services.importing.cleaning import EMAIL_IN_TEXT, EMAIL_RE, PHONE_IN_TEXT, URL_IN_TEXT

_URLISH = re.compile(
    r"^(?:https?://)?(?:www\.)?[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,24}(?:[/?#]\S*)?$", re.I
)
_PHONE_CHARS = re.compile(r"^\+?[\d\s().\-/]+(?:\s*(?:x|ext\.?)\s*\d+)?$", re.I)
_DATE = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}|^\d{1,2}[./]\d{1,2}[./]\d{2,4}$")
_NUMBER = re.compile(r"^[+-]?[$€£]?\s?\d[\d,.\s']*\s?(?:[kmb]|mio|mrd|[$€£])?$", re.I)
#: A decimal with many places ("39.0705309", "-69,81"): coordinates or scores, never a phone.
_DECIMAL = re.compile(r"^[+-]?\d{1,3}[.,]\d{3,}$")
_NAME_TOKEN = re.compile(r"^[^\W\d_][^\W\d_'’.-]*\.?$")

COUNTRIES = frozenset(
    fold(c)
    for c in """united states;usa;us;u.s.;u.s.a.;america;united kingdom;uk;great britain;england;
    scotland;wales;ireland;canada;australia;new zealand;germany;deutschland;france;spain;espana;
    españa;italy;italia;portugal;netherlands;the netherlands;nederland;holland;belgium;belgique;
    belgie;switzerland;schweiz;suisse;austria;osterreich;österreich;sweden;norway;denmark;finland;
    poland;polska;czech republic;czechia;hungary;romania;greece;turkey;india;china;japan;
    singapore;brazil;brasil;mexico;méxico;argentina;chile;colombia;peru;south africa;nigeria;
    kenya;egypt;israel;united arab emirates;uae;saudi arabia;luxembourg;iceland;estonia;latvia;
    lithuania;croatia;slovenia;slovakia;bulgaria;serbia;ukraine;russia;philippines;indonesia;
    malaysia;thailand;vietnam;south korea;korea;taiwan;hong kong;pakistan;bangladesh;morocco;
    tunisia;algeria;ghana;ethiopia;spanien;frankreich;italien;niederlande;vereinigte staaten;
    vereinigtes konigreich;etats-unis;royaume-uni;allemagne;espagne;italie;pays-bas;suisse;
    alemania;francia;reino unido;estados unidos;paises bajos;duitsland;frankrijk;spanje;
    verenigde staten;germania;spagna;francia;stati uniti;alemanha;franca;espanha""".split(";")
)
BUSINESS_WORDS = frozenset(
    """inc llc ltd limited corp corporation co company gmbh ag kg sa sas sarl srl spa bv nv plc
    pty group holding holdings partners agency studio studios media marketing consulting
    solutions services service systems software technologies technology tech labs lab digital
    roofing plumbing heating air hvac dental clinic law legal realty real estate properties
    landscapes landscaping fitness gym kitchen restaurant cafe bakery bar hotel goods store shop
    cpa accounting insurance bank capital ventures logistics construction builders electric
    motors auto automotive salon spa design designs print printing foods farm farms industries
    international global associates enterprises trading supply supplies health medical care
    pharmacy school academy university institute foundation club network networks""".split()
)
JOB_WORDS = frozenset(
    """ceo cto cfo coo cmo cio cso vp svp evp founder cofounder co-founder owner manager director
    head president partner engineer developer consultant assistant officer chief specialist
    analyst coordinator executive administrator associate intern recruiter accountant designer
    gerente director directora directeur directrice gérant gerant fondateur fondatrice
    geschäftsführer geschaftsfuhrer geschaftsfuhrerin inhaber inhaberin leiter leiterin
    vorstand prokurist eigenaar oprichter directeur amministratore titolare responsabile
    sócio socio diretor diretora fundador fundadora""".split()
)
SIGNALS = (  # most specific first: a LinkedIn URL is also a URL
    "email",
    "linkedin_person",
    "linkedin_company",
    "facebook",
    "instagram",
    "twitter",
    "url",
    "phone",
    "country",
    "person_name",
    "business_name",
    "number",
    "free_text",
)


@dataclass(frozen=True, slots=True)
class ValueProfile:
    """Share (0..1) of non-empty sample values showing each signal."""

    count: int
    distinct: float
    shares: dict[str, float] = field(default_factory=dict)

    def share(self, signal: str) -> float:
        return self.shares.get(signal, 0.0)

    def dominant(self, threshold: float = 0.6) -> tuple[str, float] | None:
        """The strongest signal at or above `threshold`, preferring the more specific."""
        for signal in SIGNALS:  # ordered from most to least specific
            if self.share(signal) >= threshold:
                return signal, self.share(signal)
        return None


def _prose(v: str) -> set[str]:
    """Signals of a sentence-like value: "free_text" when it carries contact data."""
    out = {"prose"}
    if ("@" in v and EMAIL_IN_TEXT.search(v)) or URL_IN_TEXT.search(v):
        out.add("free_text")
    elif sum(ch.isdigit() for ch in v) >= 7 and PHONE_IN_TEXT.search(v):
        out.add("free_text")
    return out


#: A value is judged by its first this-many characters.
JUDGE_CHARS = 1_000


def _signals(value: str) -> set[str]:
    v = value[:JUDGE_CHARS].strip()
    low = v.lower()
    out: set[str] = set()
    if len(v) >= 30 and v.count(" ") >= 4:
        return _prose(v)
    if "@" in v:
        if EMAIL_RE.match(low.removeprefix("mailto:")):
            out.add("email")
        return out
    if " " not in v and _URLISH.match(v):
        out.add("url")
        if "linkedin.com/in/" in low or "linkedin.com/pub/" in low:
            out.add("linkedin_person")
        elif "linkedin.com/company/" in low:
            out.add("linkedin_company")
        elif "facebook.com" in low or "fb.com" in low:
            out.add("facebook")
        elif "instagram.com" in low:
            out.add("instagram")
        elif "twitter.com" in low or low.startswith(("x.com", "https://x.com", "www.x.com")):
            out.add("twitter")
        elif is_shared_host(company_key_domain(low)):
            out.add("shared_url")  # a maps or directory page: not the business's own site
        return out
    digits = sum(ch.isdigit() for ch in v)
    if _DECIMAL.match(v):
        return {"number", "decimal"}
    if digits and _NUMBER.match(v) and not _DATE.match(v):
        out.add("number")
    if 7 <= digits <= 15 and _PHONE_CHARS.match(v) and not _DATE.match(v):
        separated = v.startswith(("+", "(")) or any(ch in v for ch in " -.")
        if separated or (v.startswith("0") and 9 <= len(v) <= 12):
            out.add("phone")
            out.discard("number")
    if digits:
        return out
    folded = fold(v)
    if folded in COUNTRIES:
        out.add("country")
        return out
    tokens = re.split(r"[\s,]+", folded.replace("&", " & ").strip())
    if any(t.strip(".") in JOB_WORDS for t in re.split(r"[\s,/&-]+", folded)):
        out.add("job_title")
    if "&" in tokens or any(t.strip(".") in BUSINESS_WORDS for t in tokens):
        out.add("business_name")
    elif 2 <= len(tokens) <= 4 and all(_NAME_TOKEN.match(t) for t in v.replace(",", " ").split()):
        words = v.replace(",", " ").split()
        if all(w[0].isupper() for w in words if w.lower() not in _PARTICLES):
            out.add("person_name")
    return out


_PARTICLES = frozenset("van von der den de del della di da du la le y".split())


def profile(values: Sequence[str]) -> ValueProfile:
    """Profile a column from its sample values (empty cells ignored)."""
    present = [v for v in values if v and v.strip()]
    if not present:
        return ValueProfile(0, 0.0)
    counts: dict[str, int] = {}
    for v in present:
        for s in _signals(v):
            counts[s] = counts.get(s, 0) + 1
    n = len(present)
    distinct = len({v.strip().lower() for v in present}) / n
    return ValueProfile(n, distinct, {s: k / n for s, k in counts.items()})


# signal -> the core field a column of such values most likely is
FIELD_FOR_SIGNAL: dict[str, str] = {
    "email": "email",
    "linkedin_person": "linkedin_url",
    "linkedin_company": "company_linkedin_url",
    "facebook": "facebook_url",
    "instagram": "instagram_url",
    "twitter": "twitter_url",
    "url": "website",
    "phone": "phone",
    "country": "country",
    "person_name": "full_name",
    "business_name": "company_name",
}
