"""Mine a job title and a company name out of a free-text cell.

Why rules and not a model: a notes column like "General Manager at Granite Media.
Email jose@granitemedia.com" or "Bluebird CPA (bluebirdcpa.net) - Head of Growth"
states the company and the title plainly, and the import must get them right with no
AI key, row after row, fast. Two rules, in order of trust:

- company: the run of capitalised words whose letters spell the website's (or work
  email's) domain ("Maple Heating & Air" = mapleheatingair.net); failing that, the
  capitalised words after "at" / "bei" / "chez" / "en" / "em" / "presso" / "bij";
- title: the short clause holding a job word ("Founder & CEO", "Head of Growth").

Both return None when unsure; what they find is stored as inferred, never over a value
the file gives.
"""

from __future__ import annotations

import re
from functools import lru_cache

from leadreel.services.dedupe import fold
from leadreel.services.importing.value_signals import JOB_WORDS

_WORD = re.compile(r"[^\W\d_][\w'’.-]*|&|\+", re.UNICODE)
_CONNECT = frozenset("& + and y e et und en of de del des du da do di van von la le der".split())
_AT = re.compile(
    r"\b(?:at|@|bei|chez|en|em|presso|bij|de|da|para|für|fur|pour|with|con|com)\s+", re.I
)
_CLAUSE = re.compile(
    r"[.;:()\[\]|/\n]+|\s[-–—]\s|,\s|\s(?:at|bei|chez|en|em|na|no|presso|bij)\s", re.I
)
_LINK = re.compile(r"\S+@\S+|https?://\S+|www\.\S+|\S+\.(?:com|net|org|io|co|es|de|fr)\b", re.I)
_SMALL = frozenset("of and & for de del la le di du da des van von y e et und".split())
_NOT_NAMES = frozenset(
    """email e-mail mail phone tel cell mobile web website site best reached spoke met call
    the a an our his her their this that fair conference event""".split()
)
MAX_TITLE_WORDS = 6


def _alnum(text: str) -> str:
    return re.sub(r"[^0-9a-z]", "", fold(text))


def _runs(text: str) -> list[list[str]]:
    """Runs of capitalised words (with "&", "of", "de" ... inside), links removed."""
    runs: list[list[str]] = []
    current: list[str] = []
    for part in re.split(r"([.;:,()\[\]|/\n]|\s[-–—]\s)", _LINK.sub(" | ", text)):
        for word in _WORD.findall(part) if part and part.strip() not in ".;:,()[]|/" else []:
            clean = word.strip(".")
            if clean and (clean[0].isupper() or clean.isupper()) and fold(clean) not in _NOT_NAMES:
                current.append(clean)
            elif current and fold(clean) in _CONNECT:
                current.append(clean)
            else:
                if current:
                    runs.append(current)
                current = []
        if current:
            runs.append(current)
            current = []
    return [_trim(r) for r in runs if _trim(r)]


def _trim(run: list[str]) -> list[str]:
    while run and fold(run[-1]) in _CONNECT:
        run = run[:-1]
    while run and fold(run[0]) in _CONNECT:
        run = run[1:]
    return run


@lru_cache(maxsize=4096)
def mine_company(text: str, domain: str | None) -> str | None:
    """The company the text names (see the module docstring), or None."""
    label = _alnum(domain.split(".", 1)[0]) if domain else ""
    runs = _runs(text)
    if label and len(label) >= 3:
        best: list[str] | None = None
        for run in runs:
            for i in range(len(run)):
                for j in range(len(run), i, -1):
                    words = run[i:j]
                    spelled = _alnum("".join(words))
                    spelled_and = _alnum("".join("and" if w == "&" else w for w in words))
                    if label in (spelled, spelled_and) and (best is None or len(words) > len(best)):
                        best = words
        if best:
            return " ".join(best)
    for m in _AT.finditer(text):
        after = _runs(text[m.end() :])
        if after and text[m.end() : m.end() + 1].isupper():
            run = after[0]
            if not _is_title(run) and len(run) <= 6:
                return " ".join(run)
    return None


def _is_title(words: list[str]) -> bool:
    return any(fold(w.strip(".,")) in JOB_WORDS for w in words)


@lru_cache(maxsize=4096)
def mine_job_title(text: str) -> str | None:
    """The first short clause with a job word ("Head of Growth"), or None."""
    for clause in _CLAUSE.split(_LINK.sub(" . ", text)):
        words = clause.split()
        if not words or len(words) > MAX_TITLE_WORDS or not _is_title(words):
            continue
        if not all(w[0].isupper() or fold(w) in _SMALL or w == "&" for w in words):
            continue
        return " ".join(words)
    return None
