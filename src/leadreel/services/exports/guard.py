"""The formula-injection guard for every CSV/XLSX cell LeadReel hands out, and its inverse.

Why a guard: exports and the import's rejected-rows report are opened in spreadsheets,
where a cell starting with ``=``, ``+``, ``-``, ``@``, tab, CR or LF runs as a formula
(OWASP "CSV injection"). Such cells get a leading single quote, which spreadsheets show
as text (and our XLSX cells are written as text besides).

Why an inverse: a salesperson re-imports our own export, and export -> import must be
lossless. ``restore`` removes exactly the quote ``neutralize`` added. To keep the pair
a bijection, a value that already looks guarded (quotes followed by a formula start,
``'=x``) gets one more quote on the way out, so ``restore(neutralize(v)) == v`` for
every ``v``.
"""

from __future__ import annotations

import re
from typing import Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")
_GUARDED = re.compile(r"^'+[=+\-@\t\r\n]")
#: Characters XML 1.0 (so XLSX) cannot hold; tab, LF and CR are allowed.
_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def neutralize(value: Any) -> str:
    """Text safe for a spreadsheet cell: formula-looking cells get a leading ``'``."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    if text and (text.startswith(FORMULA_START) or (text[0] == "'" and _GUARDED.match(text))):
        return "'" + text
    return text


def restore(text: str) -> str:
    """Undo ``neutralize``: ``'=SUM(A1)`` -> ``=SUM(A1)``; any other text is unchanged."""
    if text and text[0] == "'" and _GUARDED.match(text):
        return text[1:]
    return text


def xml_safe(text: str) -> str:
    """Drop the control characters an XLSX cell cannot store (they would fail the file)."""
    return _XML_ILLEGAL.sub("", text) if _XML_ILLEGAL.search(text) else text
