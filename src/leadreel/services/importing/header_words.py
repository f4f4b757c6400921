"""Header spellings the synonym table cannot hold, and headers that name no core field.

Why its own module: scrapers and exports spell one header many ways (`emails/0`,
`email_1`, `categoryName`, `Nº reseñas`, `Tel.`), and some columns only look like
lead data (latitude has as many digits as a phone number, a postal code is a
number, a rating is a decimal). The mapper asks two things here:

- `header_variants`: the spellings to try against the synonyms, most literal first
  (camelCase split, a list index `/0` or `_1` dropped, a plural `s` dropped);
- `business_column`: which business-only kind a header names (rating, reviews,
  opening hours, place id, coordinates, price ...), or None. Such a column is kept
  as an extra field, is never a phone, and says the file lists businesses.

`lookalike` adds ids, dates, postal codes and counts: columns the value layer must
never read as phones.
"""

from __future__ import annotations

import re
from functools import lru_cache

from leadreel.services.dedupe import fold

_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")
_WORDS = re.compile(r"[^0-9a-z]+")

#: Header words (folded, spaced) of columns that only a business has.
BUSINESS_COLUMNS: dict[str, frozenset[str]] = {
    "rating": frozenset(
        [
            "rating",
            "ratings",
            "total score",
            "score",
            "stars",
            "star rating",
            "average rating",
            "avg rating",
            "google rating",
            "valoracion",
            "puntuacion",
            "calificacion",
            "estrellas",
            "avaliacao",
            "classificacao",
            "estrelas",
            "nota media",
            "bewertung",
            "sterne",
            "durchschnittsbewertung",
            "beoordeling",
            "sterren",
            "valutazione",
            "punteggio",
            "stelle",
            "review score",
            "review rating",
            "note moyenne",
            "evaluation",
        ]
    ),
    "reviews": frozenset(
        [
            "reviews",
            "review count",
            "reviews count",
            "number of reviews",
            "num reviews",
            "no reviews",
            "total reviews",
            "user ratings total",
            "resenas",
            "no resenas",
            "n resenas",
            "numero de resenas",
            "num resenas",
            "opiniones",
            "avaliacoes",
            "numero de avaliacoes",
            "avis",
            "nombre d avis",
            "nb avis",
            "bewertungen",
            "anzahl bewertungen",
            "recensies",
            "aantal recensies",
            "recensioni",
            "numero recensioni",
            "reviews total",
            "rating count",
            "ratings count",
        ]
    ),
    "hours": frozenset(
        [
            "hours",
            "opening hours",
            "open hours",
            "business hours",
            "working hours",
            "horario",
            "horarios",
            "horario de apertura",
            "horario de atencion",
            "horario comercial",
            "horario de funcionamento",
            "horarios de funcionamento",
            "heures d ouverture",
            "horaires",
            "horaires d ouverture",
            "offnungszeiten",
            "oeffnungszeiten",
            "openingstijden",
            "openingsuren",
            "orari",
            "orario",
            "orari di apertura",
            "opening times",
        ]
    ),
    "place": frozenset(
        [
            "place id",
            "placeid",
            "google id",
            "cid",
            "gmb id",
            "google place id",
            "maps url",
            "google maps url",
            "maps link",
            "google maps link",
            "plus code",
            "kgmid",
            "fid",
            "data id",
            "listing id",
            "ficha google",
            "enlace google maps",
            "permanently closed",
            "temporarily closed",
            "claimed",
            "is claimed",
            "unclaimed",
            "verified",
            "cerrado permanentemente",
            "business status",
        ]
    ),
    "coordinates": frozenset(
        [
            "lat",
            "latitude",
            "lng",
            "lon",
            "long",
            "longitude",
            "location lat",
            "location lng",
            "location lon",
            "coordinates",
            "coords",
            "geo",
            "gps",
            "latitud",
            "longitud",
            "coordenadas",
            "breitengrad",
            "langengrad",
            "laengengrad",
            "koordinaten",
            "breedtegraad",
            "lengtegraad",
            "latitudine",
            "longitudine",
            "coordinate",
            "geo lat",
            "geo lng",
            "geo lon",
        ]
    ),
    "price": frozenset(
        [
            "price",
            "price level",
            "price range",
            "precio",
            "rango de precios",
            "preco",
            "faixa de preco",
            "prix",
            "gamme de prix",
            "preis",
            "preisklasse",
            "prijs",
            "prijsklasse",
            "prezzo",
            "fascia di prezzo",
        ]
    ),
}
_BUSINESS_LOOKUP = {
    words: kind for kind, all_words in BUSINESS_COLUMNS.items() for words in all_words
}
#: Words that anywhere in a header mean "not a phone": ids, dates, counts, codes.
_LOOKALIKE_WORDS = frozenset(
    """id uid uuid guid key code zip postal postcode plz cp cep cap npa lat lng lon latitude
    longitude score rating stars count reviews date created updated modified time year
    price revenue employees size age rank position number_of no n nr num total amount
    fax""".split()
)
_PHONE_WORDS = frozenset(
    """phone phones telephone tel telefon telefono teléfono telefone telefoon mobile cell
    handy movil celular whatsapp gsm fone tlf""".split()
)


def spaced(header: str) -> str:
    """`"location/lat"` -> `"location lat"`, `"categoryName"` -> `"category name"`."""
    return " ".join(w for w in _WORDS.split(fold(_CAMEL.sub(" ", header))) if w)


@lru_cache(maxsize=4096)
def header_variants(header: str) -> tuple[str, ...]:
    """Spaced spellings to try, most literal first: as written, without a list index,
    without a plural `s` ("emails/0" -> "emails 0", "emails", "email")."""
    words = spaced(header).split(" ")
    out = [" ".join(words)]
    while len(words) > 1 and words[-1].isdigit():
        words = words[:-1]
    if words and words[0].isdigit() and len(words) > 1:
        words = words[1:]
    out.append(" ".join(words))
    last = words[-1] if words else ""
    if len(last) > 3 and last.endswith("s") and not last.endswith("ss"):
        out.append(" ".join([*words[:-1], last[:-1]]))
    return tuple(dict.fromkeys(w for w in out if w))


@lru_cache(maxsize=4096)
def business_column(header: str) -> str | None:
    """The business-only kind a header names ("rating", "reviews", "hours", "place",
    "coordinates", "price"), or None."""
    for variant in header_variants(header):
        kind = _BUSINESS_LOOKUP.get(variant)
        if kind is None and " " in variant:  # "location lat", "geo lng": judge the last word
            kind = _BUSINESS_LOOKUP.get(variant.rsplit(" ", 1)[1])
            if kind not in ("coordinates",):
                kind = None
        if kind is not None:
            return kind
    return None


@lru_cache(maxsize=4096)
def lookalike(header: str) -> bool:
    """True when the header says the column holds numbers that are not phone numbers."""
    if business_column(header) is not None:
        return True
    words = set(spaced(header).split(" "))
    if words & _PHONE_WORDS:
        return False
    return bool(words & _LOOKALIKE_WORDS)
