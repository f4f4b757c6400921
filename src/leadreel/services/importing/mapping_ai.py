"""The mapper's AI layer: ask only about the columns the rules are unsure of, once.

Why narrow: the rules map most columns of most files with confidence; sending the
whole file to a model costs time and money and lets it overrule good answers. Only
the unsure columns go out, in one batched request (their headers and sample cells,
nothing else), and the answer is cached by a hash of exactly that input plus the
provider and model, so re-opening a preview or importing the same export again asks
nothing. Any provider error falls back to the rules with a warning.
"""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

from leadreel.fields import FieldSpec
from leadreel.integrations.ai import AIColumnSuggestion, AIProvider, AIProviderError

UNSURE_BELOW = 0.7
SAMPLE_ROWS = 5
CACHE_SIZE = 256

_cache: OrderedDict[str, list[AIColumnSuggestion]] = OrderedDict()


def cache_key(
    provider: Any, headers: Sequence[str], rows: Sequence[Sequence[str]], keys: Sequence[str]
) -> str:
    """Hash of everything the answer depends on (provider, model, the asked input)."""
    blob = json.dumps(
        [type(provider).__name__, str(getattr(provider, "model", "")), headers, rows, keys],
        ensure_ascii=False,
    )
    return hashlib.sha256(blob.encode()).hexdigest()


def clear_cache() -> None:
    """Forget cached answers (tests)."""
    _cache.clear()


def unsure_columns(cols: Sequence[Any]) -> list[Any]:
    """Columns not chosen by the user whose rule confidence is below `UNSURE_BELOW`."""
    return [c for c in cols if c.source != "saved" and c.confidence < UNSURE_BELOW]


def ask_unsure(
    cols: Sequence[Any],
    sample_rows: Sequence[Sequence[str]],
    specs: Sequence[FieldSpec],
    provider: AIProvider,
    warnings: list[str],
) -> int:
    """Let the model re-map the unsure columns; returns how many columns it changed."""
    unsure = unsure_columns(cols)
    if not unsure:
        return 0
    headers = [c.header for c in unsure]
    rows = [
        [row[c.index] if c.index < len(row) else "" for c in unsure]
        for row in list(sample_rows)[:SAMPLE_ROWS]
    ]
    keys = [s.key for s in specs]
    key = cache_key(provider, headers, rows, keys)
    suggestions = _cache.get(key)
    if suggestions is None:
        try:
            suggestions = provider.suggest_mapping(headers, rows, list(specs))
        except AIProviderError as exc:
            warnings.append(f"AI mapping unavailable ({exc}); used the rules instead")
            return 0
        except Exception as exc:  # a third-party provider must not break the import
            warnings.append(f"AI mapping failed ({type(exc).__name__}); used the rules instead")
            return 0
        _cache[key] = suggestions
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    else:
        _cache.move_to_end(key)
    known = set(keys)
    by_header = {s.header: s for s in suggestions}
    changed = 0
    for col in unsure:
        sug = by_header.get(col.header)
        if sug is None or (sug.field is not None and sug.field not in known):
            continue
        if sug.confidence > col.confidence:
            col.field, col.confidence, col.source = sug.field, round(sug.confidence, 3), "ai"
            col.reason = f"AI suggestion ({round(100 * sug.confidence)}%): the rules were unsure"
            changed += 1
    return changed
