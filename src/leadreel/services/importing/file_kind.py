"""Does a lead file list people or businesses? Decided once per file, from a sample.

Why a file-level decision: a maps or directory scrape has one row per business and
its "name" column (`title`, `Nombre`, `Name`) holds the business, yet many business
names look exactly like people ("Johnson & Sons", "Dr. Sarah Kim DDS", "Maria Lopez
Law"). Row by row they cannot be told apart; the file as a whole can. `decide_kind`
adds up evidence from headers and values together:

  towards businesses                        towards people
  legal forms / trade words in the name     names that parse as persons with a
  column (LLC, GmbH, S.L., Plumbing ...)    known first name (nameparser + the
  role mailboxes (info@, contacto@ ...)     gender-guesser first-name list)
  business-only columns (rating, reviews,   personal mailboxes (jane.doe@, jdoe@)
  opening hours, place id, coordinates,     person columns (first + last name,
  category)                                 job titles, LinkedIn profiles)

Positive score = businesses. The decision carries its reasons so the review page can
show them, and the user can switch it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal

from leadreel.services.dedupe import fold
from leadreel.services.importing.header_words import business_column

Kind = Literal["people", "businesses"]
KINDS: tuple[Kind, ...] = ("people", "businesses")

#: Legal forms in many countries, folded and without dots ("S.L.U." -> "slu").
LEGAL_FORMS = frozenset(
    """inc incorporated llc llp lp ltd limited corp corporation plc pllc pc pty pte gmbh mbh
    ag kg ug ohg gbr ek sa sas sasu sarl eurl snc sl slu sau srl srls spa sapa snc bv nv vof
    oy oyj ab as asa aps kft sro zoo lda ltda me eireli bhd sdn kk cie coop scoop sc scp""".split()
)
#: Trade words in many languages: a name containing one is a business's.
TRADE_WORDS = frozenset(
    """dental dentist dentistry dds dmd orthodontics clinic clinica clinique klinik kliniek
    clinique praxis cabinet consultorio plumbing plumber plumbers fontaneria fontanero
    plomberie klempner sanitar loodgieter idraulica idraulico encanador roofing roofers
    roofer tejados cubiertas couverture dachdecker dakdekker telhados realty realtors
    estate inmobiliaria immobilier immobilien makelaar immobiliare imobiliaria law lawyers
    attorneys attorney legal abogados abogado avocats avocat anwalt rechtsanwalt
    rechtsanwalte advocaten advocaat avvocati avvocato advogados kitchen restaurant
    restaurante ristorante restaurang bistro brasserie cafe cafeteria bar pizzeria
    trattoria bakery panaderia boulangerie backerei bakkerij panificio padaria fitness gym
    gimnasio gymnasium salle academia palestra crossfit yoga pilates studio estudio
    salon peluqueria coiffure friseur kapper parrucchiere barbershop barber spa hvac
    heating cooling climatizacion climatisation heizung klimatechniek electric electrical
    electricians electricidad electricien elektro plumbing media marketing agency agencia
    agence agentur bureau agenzia agencia consulting consultancy consultores conseil
    beratung advies consulenza accounting accountants cpa asesoria gestoria comptable
    expert steuerberater boekhouder commercialista contabilidade insurance seguros
    assurances versicherung verzekeringen assicurazioni auto automotive taller garage
    werkstatt autobedrijf officina oficina motors hotel hostal pension hostel motel
    pharmacy farmacia pharmacie apotheke apotheek veterinary veterinaria veterinaire
    tierarzt dierenarts veterinario landscaping jardineria paysagiste gartenbau hovenier
    giardinaggio paisagismo construction construcciones constructora bau bouw edilizia
    construtora builders cleaning limpieza nettoyage reinigung schoonmaak pulizie limpeza
    store shop tienda boutique laden winkel negozio loja goods supplies logistics
    transport transportes printing imprenta druckerei drukkerij tipografia grafica solutions
    services servicios dienstleistungen diensten servizi servicos group grupo groupe gruppe
    groep gruppo partners associates company compania empresa entreprise unternehmen
    bedrijf azienda holdings holding ventures capital systems software technologies labs
    digital studios design optica opticien optiker optiek ottica otica""".split()
)
#: Local parts of shared mailboxes (folded).
ROLE_MAILBOXES = frozenset(
    """info contact contacto contato contatti kontakt hello hola ola bonjour hallo ciao office
    oficina bureau buero admin administracion administration sales ventas vendas vente
    verkauf verkoop vendite support soporte suporte help ayuda team equipo mail email
    correo reservas reservations booking bookings recepcion reception empfang welcome
    enquiries inquiries enquiry general clientes customers service servicio atendimento
    marketing press prensa billing facturacion hr rrhh jobs empleo careers noreply
    no-reply webmaster studio clinic clinica dental shop tienda store orders pedidos
    comercial commercial""".split()
)
_ALL_WORDS = LEGAL_FORMS | TRADE_WORDS
_TOKEN = re.compile(r"[^\W_]+(?:[.'’-][^\W_]+)*\.?", re.UNICODE)
_PERSON_FIELDS = frozenset({"first_name", "last_name", "job_title", "linkedin_url"})
NAME_FIELDS = frozenset({"full_name", "first_name", "company_name", "job_title"})
BUSINESS_AT = 2.0  # score from which the file lists businesses


@dataclass(slots=True)
class KindDecision:
    """The file's kind, its score (> 0 leans to businesses) and the reasons, in words."""

    kind: Kind
    score: float
    reasons: list[str] = field(default_factory=list)
    forced: bool = False
    name_column: int | None = None


@lru_cache(maxsize=1)
def _first_names() -> Any:
    import gender_guesser.detector as gd  # noqa: PLC0415 - 0.2 s to load: only when needed

    return gd.Detector(case_sensitive=False)


def is_first_name(word: str) -> bool:
    """True when `word` is a known first name (gender-guesser's list, ~40k names)."""
    clean = word.strip(".,").replace("’", "'")
    if len(clean) < 2 or not clean[0].isalpha():
        return False
    return str(_first_names().get_gender(clean.capitalize())) != "unknown"


def _tokens(value: str) -> list[str]:
    return [fold(t).replace(".", "") for t in _TOKEN.findall(value)]


@lru_cache(maxsize=8192)
def business_words(value: str) -> tuple[bool, bool]:
    """(has a legal form, has a trade word or "&") of a name."""
    if value.isascii() and "." not in value and "&" not in value:  # the usual name: fast
        words = value.lower().replace(",", " ").split()
        if _ALL_WORDS.isdisjoint(words):
            return False, False
    tokens = _tokens(value)
    legal = any(t in LEGAL_FORMS for t in tokens[1:]) or bool(
        re.search(r"\b(?:s\.\s?l\.?u?|s\.\s?a\.?|b\.\s?v\.?|n\.\s?v\.?)(?:\s|$)", value, re.I)
    )
    trade = "&" in value or any(t in TRADE_WORDS for t in tokens)
    return legal, trade


@lru_cache(maxsize=8192)
def looks_like_person(value: str) -> bool:
    """A person's name: 2-5 words, no business words, a known first name in first place
    (after a title such as Dr., or after the comma of "Last, First")."""
    from nameparser import HumanName  # noqa: PLC0415

    text = " ".join(value.split())
    if not text or any(ch.isdigit() for ch in text) or "@" in text:
        return False
    legal, trade = business_words(text)
    if legal or trade:
        return False
    parsed = HumanName(text)
    if not parsed.first or not parsed.last:
        return False
    return is_first_name(parsed.first.split("-")[0])


def name_is_business(value: str) -> bool:
    """One row's judgement, for mixed files: a legal form, or a trade word in a name that
    is not simply "Firstname Lastname" ("John Law" stays a person)."""
    legal, trade = business_words(value)
    if legal:
        return True
    if not trade:
        return False
    words = value.split()
    return not (len(words) == 2 and "&" not in value and is_first_name(words[0]))


def _mailbox_shares(values: Sequence[str]) -> tuple[float, float]:
    """(share of role mailboxes, share of personal ones) among email values."""
    emails = [v.strip().lower() for v in values if "@" in v]
    if not emails:
        return 0.0, 0.0
    role = personal = 0
    for email in emails:
        local = fold(email.split("@", 1)[0])
        head = re.split(r"[._+-]", local)[0]
        if local in ROLE_MAILBOXES or head in ROLE_MAILBOXES:
            role += 1
        elif "." in local or is_first_name(head) or (len(local) > 3 and is_first_name(local[1:])):
            personal += 1
    return role / len(emails), personal / len(emails)


def name_column(cols: Sequence[Any], profiles: Sequence[Any]) -> int | None:
    """The column that names each row: full name, else a lone first name ("Nombre"),
    else a "Title" without job titles, else the company name."""
    by_field = {c.field: c for c in reversed(cols) if c.field}
    if "first_name" in by_field and "last_name" in by_field:
        return None  # the names are split: the rows are people
    if "full_name" in by_field:
        return int(by_field["full_name"].index)
    if "first_name" in by_field and "last_name" not in by_field:
        return int(by_field["first_name"].index)
    if "company_name" in by_field:
        return int(by_field["company_name"].index)
    title = by_field.get("job_title")
    if title is not None and profiles[title.index].share("job_title") < 0.3:
        return int(title.index)  # a maps export's "title" is the business
    return None


def decide_kind(
    cols: Sequence[Any], values: Sequence[Sequence[str]], profiles: Sequence[Any]
) -> KindDecision:
    """Score the evidence in `cols` (mapped columns), `values` (sample cells per column)
    and their `profiles` (value_signals)."""
    score, reasons = 0.0, []
    fields = {c.field for c in cols if c.field}
    idx = name_column(cols, profiles)
    if idx is not None:
        names = [v for v in values[idx] if v.strip()]
        if names:
            legal = sum(business_words(v)[0] for v in names) / len(names)
            trade = sum(business_words(v)[1] for v in names) / len(names)
            person = sum(looks_like_person(v) for v in names) / len(names)
            header = cols[idx].header
            if legal + trade >= 0.3:
                score += 2 + 2 * min(legal + trade, 1.0)
                reasons.append(
                    f"{round(100 * max(legal, trade))}% of {header!r} carry business words"
                )
            if person >= 0.5:
                score -= 4 * person
                reasons.append(f"{round(100 * person)}% of {header!r} read as person names")
    for c in cols:
        if c.field == "email":
            role, personal = _mailbox_shares(values[c.index])
            if role >= 0.5:
                score += 2
                reasons.append(f"{round(100 * role)}% of {c.header!r} are shared mailboxes")
            elif personal >= 0.5:
                score -= 2
                reasons.append(f"{round(100 * personal)}% of {c.header!r} are personal mailboxes")
            break
    if {"first_name", "last_name"} <= fields:
        score -= 3
        reasons.append("first and last name columns")
    for c in cols:
        if c.index == idx:
            continue
        if c.field == "job_title" and profiles[c.index].share("job_title") >= 0.3:
            score -= 2
            reasons.append(f"{c.header!r} holds job titles")
        elif c.field == "linkedin_url" and profiles[c.index].share("linkedin_person") >= 0.5:
            score -= 2
            reasons.append(f"{c.header!r} holds LinkedIn profiles of people")
    found = sorted({k for c in cols if (k := business_column(c.header))})
    if "industry" in fields:
        found.append("category")
    if found:
        score += min(len(found), 4)
        reasons.append("business-only columns: " + ", ".join(found))
    kind: Kind = "businesses" if score >= BUSINESS_AT else "people"
    return KindDecision(kind, round(score, 2), reasons, name_column=idx)


def person_fields_present(fields: set[str]) -> bool:
    return bool(fields & _PERSON_FIELDS)


# ---- a business file's mapping ------------------------------------------------------

#: In a business file these fields describe the business itself.
COMPANY_TWIN = {
    "city": "company_city",
    "state": "company_state",
    "country": "company_country",
    "phone": "company_phone",
    "linkedin_url": "company_linkedin_url",
    "notes": "company_description",
}
_LOCATION_TO_COMPANY = {"city", "state", "country", "phone"}


def apply_business_kind(
    cols: Sequence[Any], profiles: Sequence[Any], decision: KindDecision
) -> None:
    """Re-map a business file's columns in place (see the issue's "In a business file").

    The name column becomes `company_name`; another column that looked like a company
    name (a category of repeated trade words) becomes `industry` when no column holds
    it yet; location and phone fields move to the company's; no person name is kept
    from the name column, so no person is invented.
    """
    idx = decision.name_column
    taken = {c.field for c in cols if c.field}
    for col in cols:
        if col.source == "saved":
            continue
        if col.index == idx and col.field != "company_name":
            col.field, col.confidence, col.source = "company_name", 0.85, "file"
            col.reason = "the file lists businesses: this column names each business"
        elif col.index != idx and col.field == "company_name":
            if "industry" not in taken and profiles[col.index].distinct < 0.8:
                col.field, col.confidence, col.source = "industry", 0.75, "file"
                col.reason = "a few repeated business words in a business file: the category"
                taken.add("industry")
            else:
                col.field, col.confidence, col.source = None, 0.0, "file"
                col.reason = "another business name column: kept as an extra field"
        elif col.field in COMPANY_TWIN and (
            col.field in _LOCATION_TO_COMPANY or col.field == "linkedin_url"
        ):
            twin = COMPANY_TWIN[col.field]
            col.field = twin
            col.reason = (col.reason + "; " if col.reason else "") + "the business's own"
        elif col.field in ("first_name", "last_name", "full_name") and col.index != idx:
            continue  # a real contact person column next to the business: keep it


def apply_people_context(cols: Sequence[Any]) -> None:
    """People file without any person column (company, site, city, phone only): the
    location and phone belong to the company."""
    fields = {c.field for c in cols}
    if fields & {
        "first_name",
        "last_name",
        "full_name",
        "job_title",
        "linkedin_url",
        "mobile_phone",
    }:
        return
    if not fields & {"company_name", "website", "company_domain"}:
        return
    for col in cols:
        if col.source != "saved" and col.field in _LOCATION_TO_COMPANY:
            col.field = COMPANY_TWIN[col.field]
