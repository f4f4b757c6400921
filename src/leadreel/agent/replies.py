"""Plain-English replies for tool outcomes: what the offline interpreter and a confirmation say.

Lead names and notes are shown to the person here (it is their data, escaped by the page);
only the model must never take them as instructions.
"""

from __future__ import annotations

import json
from typing import Any

from leadreel.agent.executor import Outcome


def _data(value: str) -> Any:
    """The JSON inside a <data> block."""
    if isinstance(value, str) and value.startswith("<data>") and value.endswith("</data>"):
        return json.loads(value[6:-7].replace("<\\/data", "</data"))
    return value


def _statuses(counts: dict[str, int]) -> str:
    if not counts:
        return ""
    parts = [f"{n} {'no video' if s == 'none' else s}" for s, n in sorted(counts.items())]
    return " (" + ", ".join(parts) + ")"


def _tasks(tasks: dict[str, dict[str, int]]) -> str:
    if not tasks:
        return ""
    parts = [f"{kind}: " + ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
             for kind, counts in sorted(tasks.items())]
    return " Tasks — " + "; ".join(parts) + "."


def _done(out: Outcome) -> str:
    r = out.result
    if out.tool == "count_leads":
        n = r["count"]
        return f"{n} lead{'s' * (n != 1)} match{'es' * (n == 1)}{_statuses(r['by_video_status'])}."
    if out.tool == "search_leads":
        rows = _data(r["leads"])
        lines = [f"• {x['name']} ({x['company'] or 'no company'}) — video: {x['video']}"
                 for x in rows]
        more = f"\n…and {r['count'] - r['shown']} more." if r["count"] > r["shown"] else ""
        return f"{r['count']} leads match:\n" + "\n".join(lines) + more
    if out.tool == "batch_progress":
        name = _data(r["batch"])["name"]
        return (f"Batch {name}: import {r['import_status']} "
                f"({round(r['import_progress'] * 100)}%), {r['leads']} leads"
                f"{_statuses(r['videos_by_status'])}." + _tasks(r.get("tasks") or {}))
    if out.tool == "summarize_failures":
        reasons = _data(r["reasons"])
        if not reasons:
            return "Nothing failed."
        lines = [f"• {kind}: {reason} ×{n}" for kind, items in reasons.items()
                 for reason, n in sorted(items.items(), key=lambda kv: -kv[1])]
        return f"{r['failed_videos']} failed videos. Reasons:\n" + "\n".join(lines)
    if out.tool == "video_views":
        rows = _data(r["leads"])
        if not rows:
            return f"Nobody watched their video since {r['since']}."
        lines = [f"• {x['lead']}: {x['views']} views, {x['plays']} plays" for x in rows]
        return f"{r['watched']} watched since {r['since']}:\n" + "\n".join(lines)
    if out.tool == "list_options":
        return ("Video templates: " + (", ".join(r["video_templates"]) or "none") +
                ". Export templates: " + ", ".join(r["export_templates"]) +
                ". Batches: " + (", ".join(_data(r["batches"])) or "none") + ".")
    if out.tool == "start_renders":
        if "queued" in r:
            return f"Queued {r['queued']} renders with {r['template']} (run {r['run']})."
        held = f", {r['held_for_samples']} wait for the samples" if r["held_for_samples"] else ""
        skipped = (f", {r['skipped_already_rendering']} were already rendering"
                   if r["skipped_already_rendering"] else "")
        return f"Started {r['started']} renders with {r['template']}{held}{skipped}."
    if out.tool == "rerender_failed":
        return f"Re-rendering {r['rerendering']} failed videos."
    if out.tool == "export_leads":
        return f"Exported {r['rows']} leads: {r['download_url']}"
    if out.tool == "assign_leads":
        return f"Assigned {r['assigned']} leads to {r['to']}."
    return json.dumps(r, default=str)


def describe(out: Outcome) -> str:
    if out.status in ("done", "confirmed"):
        return _done(out)
    if out.status == "proposed":
        return f"I will {out.plan}. Confirm to go ahead."
    if out.status == "refused":
        return f"I can't do that: {out.message}"
    if out.status == "invalid":
        return f"That request did not fit: {out.message}"
    return f"That did not work: {out.message}"
