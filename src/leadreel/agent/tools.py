"""The assistant's tools: a pydantic ``Args`` model plus ``run(ctx, args)`` each.

Why this shape (pydantic-ai, openai-agents): the JSON schema the model sees comes from the
Args class, the arguments are validated before the call, and authorization happens inside
the tool with the user's own permissions, through the seams in ``agent/services.py``.

A tool whose ``plan`` returns a Plan needs the user's click first: any tool that changes
data, and any that reads or touches more than ``CONFIRM_ABOVE`` leads. Lead data in a
result is wrapped by ``as_data`` so the model reads it as data, never as instructions.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from leadreel.agent import services
from leadreel.agent.context import ToolContext
from leadreel.agent.leads_arg import Leads, batch_id, resolve
from leadreel.errors import NotFound, ValidationError
from leadreel.models import User

CONFIRM_ABOVE = 25
MAX_ROWS = 100


@dataclass(frozen=True)
class Plan:
    """What a confirmation click will do, said in one line."""

    text: str
    leads: int = 0


@dataclass(frozen=True)
class Tool:
    name: str
    description: str
    args: type[BaseModel]
    run: Callable[[ToolContext, Any], dict[str, Any]]
    #: None: never asks; else returns a Plan when the call needs the user's confirmation.
    plan: Callable[[ToolContext, Any], Plan | None] | None = None
    changes_data: bool = False
    #: Words that name this tool in plain English (the offline interpreter reads them).
    keywords: tuple[str, ...] = ()

    def schema(self) -> dict[str, Any]:
        return self.args.model_json_schema()


def as_data(value: Any) -> str:
    """JSON inside <data> tags; a "</data>" inside the data cannot close the block."""
    text = json.dumps(value, ensure_ascii=False, default=str).replace("</data", "<\\/data")
    return f"<data>{text}</data>"


def _lead_row(lead: Any, video: Any) -> dict[str, Any]:
    return {
        "id": lead.id,
        "name": lead.display_name,
        "email": lead.email,
        "company": lead.company.name if lead.company else None,
        "status": lead.status,
        "notes": (lead.notes or "")[:300],
        "video": video.status if video else "none",
    }


class _Args(BaseModel):
    model_config = ConfigDict(extra="forbid")


# ---- read-only tools ----------------------------------------------------------------------
class CountArgs(_Args):
    leads: Leads = Field(default_factory=lambda: Leads.model_validate({}))


def count_leads(ctx: ToolContext, args: CountArgs) -> dict[str, Any]:
    selection = resolve(ctx, args.leads)
    return {
        "count": services.count_leads(ctx.session, ctx.user, selection),
        "by_video_status": services.video_status_counts(ctx.session, ctx.user, selection),
    }


class SearchArgs(_Args):
    leads: Leads = Field(default_factory=lambda: Leads.model_validate({}))
    limit: int = Field(10, ge=1, le=MAX_ROWS)


def search_leads(ctx: ToolContext, args: SearchArgs) -> dict[str, Any]:
    selection = resolve(ctx, args.leads)
    total = services.count_leads(ctx.session, ctx.user, selection)
    rows = services.find_leads(ctx.session, ctx.user, selection, args.limit)
    return {"count": total, "shown": len(rows), "leads": as_data([_lead_row(*r) for r in rows])}


def plan_search(ctx: ToolContext, args: SearchArgs) -> Plan | None:
    if args.limit <= CONFIRM_ABOVE:
        return None
    total = services.count_leads(ctx.session, ctx.user, resolve(ctx, args.leads))
    shown = min(total, args.limit)
    return Plan(f"show {shown} leads' details", shown) if shown > CONFIRM_ABOVE else None


class BatchArgs(_Args):
    batch: str = Field(description="Import batch name (or id).", max_length=200)


def batch_progress(ctx: ToolContext, args: BatchArgs) -> dict[str, Any]:
    batch = services.get_batch(ctx.session, ctx.user, batch_id(ctx, args.batch))
    selection = resolve(ctx, Leads.model_validate({"use_selection": False, "batch": str(batch.id)}))
    return {
        "batch": as_data({"id": batch.id, "name": batch.name}),
        "import_status": batch.status,
        "import_progress": round(batch.progress or 0, 3),
        "import_counts": batch.counts or {},
        "leads": services.count_leads(ctx.session, ctx.user, selection),
        "videos_by_status": services.video_status_counts(ctx.session, ctx.user, selection),
        "tasks": services.task_counts(ctx.session, ctx.user, selection),
    }


class FailuresArgs(_Args):
    leads: Leads = Field(default_factory=lambda: Leads.model_validate({}))


def summarize_failures(ctx: ToolContext, args: FailuresArgs) -> dict[str, Any]:
    selection = resolve(ctx, args.leads)
    reasons: dict[str, dict[str, int]] = {"video": {}, "screenshot": {}, "render": {},
                                          "upload": {}}
    for video in services.latest_videos(ctx.session, ctx.user, selection):
        if video.status == "failed":
            key = (video.error or "unknown").strip().splitlines()[0][:160]
            reasons["video"][key] = reasons["video"].get(key, 0) + 1
    for task in services.failed_tasks(ctx.session, ctx.user, selection):
        kind = {"screenshot": "screenshot", "render_video": "render"}.get(task.type, "upload")
        key = (task.last_error or "unknown").strip().splitlines()[0][:160]
        reasons[kind][key] = reasons[kind].get(key, 0) + 1
    return {
        "failed_videos": sum(reasons["video"].values()),
        "reasons": as_data({k: v for k, v in reasons.items() if v}),
    }


class ViewsArgs(_Args):
    leads: Leads = Field(default_factory=lambda: Leads.model_validate({"all_leads": True}))
    days: int = Field(7, ge=1, le=365, description="Look back this many days.")


def video_views(ctx: ToolContext, args: ViewsArgs) -> dict[str, Any]:
    selection = resolve(ctx, args.leads)
    since = datetime.now(UTC) - timedelta(days=args.days)
    total, rows = services.watched_since(ctx.session, ctx.user, selection, since, CONFIRM_ABOVE)
    watched = [
        {"lead": lead.display_name, "lead_id": lead.id, "views": video.view_count,
         "plays": video.play_count, "last_viewed_at": video.last_viewed_at}
        for lead, video in rows
    ]
    return {"watched": total, "since": since.date().isoformat(), "leads": as_data(watched)}


class OptionsArgs(_Args):
    pass


def list_options(ctx: ToolContext, args: OptionsArgs) -> dict[str, Any]:
    return {
        "video_templates": [t.name for t in services.video_templates(ctx.session)],
        "export_templates": services.export_template_names(ctx.session),
        "batches": as_data([b.name for b in services.visible_batches(ctx.session, ctx.user, 50)]),
        "assignable_users": [u.name or u.email for u in
                             services.assignable_users(ctx.session, ctx.user)],
    }


# ---- tools that act -----------------------------------------------------------------------
class RenderArgs(_Args):
    leads: Leads = Field(default_factory=lambda: Leads.model_validate({}))
    template: str | None = Field(None, description="Video template name; default template if "
                                 "omitted.", max_length=200)
    samples: int = Field(0, ge=0, le=100, description="Render this many first for approval.")


def _template(ctx: ToolContext, name: str | None) -> Any:
    templates = services.video_templates(ctx.session)
    if not templates:
        raise ValidationError("no video template exists yet; create one on the Videos page")
    if not name:
        return templates[0]  # the default comes first
    for row in templates:
        if row.name.lower() == name.strip().lower():
            return row
    known = ", ".join(t.name for t in templates)
    raise ValidationError(f"no video template named {name!r} (known: {known})")


def _count(ctx: ToolContext, leads: Leads) -> int:
    n = services.count_leads(ctx.session, ctx.user, resolve(ctx, leads))
    if n == 0:
        raise ValidationError("no leads match")
    return n


def plan_renders(ctx: ToolContext, args: RenderArgs) -> Plan:
    n, row = _count(ctx, args.leads), _template(ctx, args.template)
    first = f", samples first: {args.samples}" if args.samples else ""
    return Plan(f"render {n} video{'s' * (n != 1)} with template {row.name}{first}", n)


def start_renders(ctx: ToolContext, args: RenderArgs) -> dict[str, Any]:
    row = _template(ctx, args.template)
    selection = resolve(ctx, args.leads)
    out = services.start_renders(ctx.session, ctx.user, selection, row.id, args.samples)
    return {"template": row.name, **out}


class RerenderArgs(_Args):
    leads: Leads = Field(default_factory=lambda: Leads.model_validate({}))


def _failed_video_ids(ctx: ToolContext, leads: Leads) -> list[int]:
    selection = resolve(ctx, leads)
    return [v.id for v in services.latest_videos(ctx.session, ctx.user, selection)
            if v.status == "failed"]


def plan_rerender(ctx: ToolContext, args: RerenderArgs) -> Plan:
    n = len(_failed_video_ids(ctx, args.leads))
    if n == 0:
        raise ValidationError("none of these leads has a failed video")
    return Plan(f"re-render {n} failed video{'s' * (n != 1)}", n)


def rerender_failed(ctx: ToolContext, args: RerenderArgs) -> dict[str, Any]:
    return services.rerender_videos(ctx.session, ctx.user, _failed_video_ids(ctx, args.leads))


class UploadArgs(_Args):
    leads: Leads = Field(default_factory=lambda: Leads.model_validate({}))


def plan_uploads(ctx: ToolContext, args: UploadArgs) -> Plan:
    n = _count(ctx, args.leads)
    return Plan(f"upload the videos of {n} lead{'s' * (n != 1)} to Google Drive", n)


def start_uploads(ctx: ToolContext, args: UploadArgs) -> dict[str, Any]:
    return services.start_uploads(ctx.session, ctx.user, resolve(ctx, args.leads))


class ExportArgs(_Args):
    leads: Leads = Field(default_factory=lambda: Leads.model_validate({}))
    template: str = Field("core", description="Export template name.", max_length=200)
    format: Literal["csv", "xlsx"] = "csv"


def plan_export(ctx: ToolContext, args: ExportArgs) -> Plan | None:
    n = _count(ctx, args.leads)
    if args.template not in services.export_template_names(ctx.session):
        raise ValidationError(
            f"no export template named {args.template!r} "
            f"(known: {', '.join(services.export_template_names(ctx.session))})"
        )
    if n <= CONFIRM_ABOVE:
        return None
    return Plan(f"export {n} leads as {args.format.upper()} with template {args.template}", n)


def export_leads(ctx: ToolContext, args: ExportArgs) -> dict[str, Any]:
    return services.export_selection(
        ctx.session, ctx.settings, ctx.user, resolve(ctx, args.leads), args.template,
        args.format, ctx.base_url,
    )


class AssignArgs(_Args):
    leads: Leads = Field(default_factory=lambda: Leads.model_validate({}))
    to_user: str = Field(description="Name or email of the user who gets the leads.",
                         max_length=320)


def _owner(ctx: ToolContext, who: str) -> User:
    users = services.assignable_users(ctx.session, ctx.user)
    if not users:
        raise ValidationError("only managers and admins may assign leads")
    wanted = who.strip().lower()
    matches = [u for u in users if wanted in (u.email.lower(), (u.name or "").lower())]
    matches = matches or [u for u in users if (u.name or "").lower().split(" ")[0] == wanted
                          or u.email.lower().split("@")[0] == wanted]
    if len(matches) != 1:
        known = ", ".join(u.name or u.email for u in users)
        what = "more than one user" if matches else "no user"
        raise NotFound(f"{what} matches {who!r} (users: {known})")
    return matches[0]


def plan_assign(ctx: ToolContext, args: AssignArgs) -> Plan:
    n, owner = _count(ctx, args.leads), _owner(ctx, args.to_user)
    return Plan(f"assign {n} lead{'s' * (n != 1)} to {owner.name or owner.email}", n)


def assign_leads(ctx: ToolContext, args: AssignArgs) -> dict[str, Any]:
    owner = _owner(ctx, args.to_user)
    n = services.assign_leads(ctx.session, ctx.user, resolve(ctx, args.leads), owner)
    return {"assigned": n, "to": owner.name or owner.email}


TOOLS: dict[str, Tool] = {
    t.name: t
    for t in (
        Tool("count_leads", "Count leads (by filter or the page's selection) and their videos' "
             "statuses.", CountArgs, count_leads, keywords=("how many", "count", "number of")),
        Tool("search_leads", "List leads with their latest video status.", SearchArgs,
             search_leads, plan_search, keywords=("list", "show", "find", "search", "which")),
        Tool("batch_progress", "An import batch's progress: import, leads and videos.",
             BatchArgs, batch_progress, keywords=("progress", "status of", "how is", "how far")),
        Tool("summarize_failures", "Why screenshots, renders and uploads failed, with reasons.",
             FailuresArgs, summarize_failures, keywords=("why", "failures", "errors", "what went")),
        Tool("video_views", "Who watched their video in the last days.", ViewsArgs, video_views,
             keywords=("watched", "viewed", "views", "opened", "saw")),
        Tool("list_options", "Names of video templates, export templates, batches and users.",
             OptionsArgs, list_options, keywords=("templates", "options", "what can")),
        Tool("start_renders", "Render videos for leads with a template, optionally samples "
             "first.", RenderArgs, start_renders, plan_renders, True,
             keywords=("render", "make videos", "create videos", "generate")),
        Tool("rerender_failed", "Render the leads' failed videos again.", RerenderArgs,
             rerender_failed, plan_rerender, True, keywords=("rerender", "re-render", "retry")),
        Tool("start_uploads", "Upload the leads' videos to Google Drive.", UploadArgs,
             start_uploads, plan_uploads, True, keywords=("upload", "drive")),
        Tool("export_leads", "Export leads with an export template; returns a download link.",
             ExportArgs, export_leads, plan_export, keywords=("export", "download", "csv")),
        Tool("assign_leads", "Give leads to another user.", AssignArgs, assign_leads,
             plan_assign, True, keywords=("assign", "give", "hand over", "reassign")),
    )
}
