"""The Leads page's URL: filters, sort and paging as query arguments (bookmarkable, shareable).

Why one parser: the page, its "select all matching" bulk form and the JSON endpoints must
read the very same Selection from the same arguments.
"""

from __future__ import annotations

from typing import Any

from leadreel.services.leads.selection import VIDEO_FILTERS, Selection

FILTER_ARGS = (
    "q",
    "batch",
    "owner",
    "video",
    "status",
    "tag",
    "has_email",
    "has_phone",
    "has_website",
    "from",
    "to",
    "cf",
    "cv",
)
VIEW_ARGS = (*FILTER_ARGS, "sort", "dir", "size")


def _tristate(value: str | None) -> bool | None:
    return {"1": True, "yes": True, "0": False, "no": False}.get((value or "").strip().lower())


def selection_from(args: Any, *, everything: bool = True) -> Selection:
    """The Selection the arguments describe (unknown values are ignored, not errors)."""
    video = (args.get("video") or "").strip()
    owner = (args.get("owner") or "").strip()
    custom: dict[str, str] = {}
    key, value = (args.get("cf") or "").strip(), (args.get("cv") or "").strip()
    if key and value:
        custom[key] = value
    return Selection(
        q=(args.get("q") or "")[:200],
        batch_id=args.get("batch", type=int),
        owner_id=int(owner) if owner.isdigit() else None,
        video_status=video if video in VIDEO_FILTERS else "",
        status=(args.get("status") or "").strip()[:30],
        tag=(args.get("tag") or "")[:100],
        has_email=_tristate(args.get("has_email")),
        has_phone=_tristate(args.get("has_phone")),
        has_website=_tristate(args.get("has_website")),
        imported_from=(args.get("from") or "").strip(),
        imported_to=(args.get("to") or "").strip(),
        custom=custom,
        everything=everything,
    )


def view_args(args: Any) -> dict[str, str]:
    """The filter/sort arguments present, for links that keep the view."""
    return {k: args.get(k) for k in VIEW_ARGS if args.get(k)}


def filter_args(args: Any) -> dict[str, str]:
    return {k: args.get(k) for k in FILTER_ARGS if args.get(k)}


def ticked_ids(args: Any) -> list[int]:
    raw = list(args.getlist("lead_ids")) + (args.get("ids") or "").split(",")
    return [int(i) for i in raw if str(i).strip().isdigit()]


def selection_args(selection: Selection) -> dict[str, Any]:
    """The query arguments that give ``selection`` back (the inverse of ``selection_from``)."""
    out: dict[str, Any] = {
        "q": selection.q,
        "batch": selection.batch_id or "",
        "owner": "" if selection.owner_id is None else selection.owner_id,
        "video": selection.video_status,
        "status": selection.status,
        "tag": selection.tag,
        "from": selection.imported_from,
        "to": selection.imported_to,
    }
    for key in ("has_email", "has_phone", "has_website"):
        value = getattr(selection, key)
        out[key] = "" if value is None else ("1" if value else "0")
    if selection.custom:
        out["cf"], out["cv"] = next(iter(selection.custom.items()))
    return {k: v for k, v in out.items() if v != ""}
