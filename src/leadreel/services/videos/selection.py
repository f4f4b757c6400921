"""Moved to :mod:`leadreel.services.leads.selection` (the general lead selection).

Kept as a re-export so modules written against the old path keep working until they
import the new one.
"""

from __future__ import annotations

from leadreel.services.leads.selection import (
    MAX_NAMED,
    NO_VIDEO,
    VIDEO_FILTERS,
    Selection,
    check_access,
    count,
    latest_video_id,
    lead_query,
    video_status_is,
)

__all__ = [
    "MAX_NAMED",
    "NO_VIDEO",
    "VIDEO_FILTERS",
    "Selection",
    "check_access",
    "count",
    "latest_video_id",
    "lead_query",
    "video_status_is",
]
