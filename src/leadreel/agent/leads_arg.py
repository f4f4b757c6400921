"""The one way a tool names leads: the page's selection, ids, or a filter, never SQL.

``resolve`` turns the argument into the services' ``Selection`` with the user's scope: named
leads or a batch that are not the user's are refused (PermissionDenied), a filter simply sees
only the user's leads. The resolved selection is what a confirmation is bound to.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from leadreel.agent import services
from leadreel.agent.context import ToolContext
from leadreel.errors import PermissionDenied, ValidationError
from leadreel.services.leads.selection import Selection

VideoFilter = Literal["none", "queued", "capturing", "rendering", "rendered", "uploading", "ready",
                      "failed"]


class Leads(BaseModel):
    """Which leads. Parts narrow each other; ``use_selection`` starts from the page's."""

    model_config = ConfigDict(extra="forbid")

    use_selection: bool = Field(
        True, description="Start from the leads selected or filtered on the page."
    )
    all_leads: bool = Field(False, description="Every lead the user may see.")
    lead_ids: list[int] = Field(default_factory=list, max_length=1000)
    batch: str | None = Field(None, description="Import batch name (or id).", max_length=200)
    search: str | None = Field(None, description="Text in name, email or company.",
                               max_length=200)
    lead_status: str | None = Field(None, max_length=30)
    video_status: VideoFilter | None = Field(
        None, description="The lead's latest video status; 'none' = no video yet."
    )


def batch_id(ctx: ToolContext, name: str) -> int:
    """A batch the user may see, by exact name, id or unique case-insensitive match."""
    batches = services.visible_batches(ctx.session, ctx.user, limit=1000)
    wanted = name.strip()
    if wanted.isdigit():
        for b in batches:
            if b.id == int(wanted):
                return b.id
    exact = [b for b in batches if b.name == wanted]
    loose = exact or [b for b in batches if b.name.lower() == wanted.lower()]
    if len(loose) == 1:
        return loose[0].id
    if len(loose) > 1:
        return max(b.id for b in loose)  # the newest of equally named batches
    raise ValidationError(f"no batch named {name!r} that you can see")


def resolve(ctx: ToolContext, leads: Leads) -> Selection:
    """The Selection these leads mean for this user (named parts checked against scope)."""
    base = ctx.selection if leads.use_selection and not leads.all_leads else Selection()
    fields = base.to_json()
    if leads.all_leads:
        fields = Selection(everything=True).to_json()
    if leads.lead_ids:
        fields["lead_ids"] = sorted(set(leads.lead_ids))
    if leads.batch:
        fields["batch_id"] = batch_id(ctx, leads.batch)
    if leads.search:
        fields["q"] = leads.search
    if leads.lead_status:
        fields["status"] = leads.lead_status
    if leads.video_status:
        fields["video_status"] = leads.video_status
    selection = Selection.from_json(fields)
    if selection.is_empty():
        raise ValidationError(
            "no leads are selected: tick leads on the page, or name a batch or a filter"
        )
    if selection.lead_ids or selection.batch_id:
        try:
            services.check_named(ctx.session, ctx.user, selection)
        except PermissionDenied:
            raise PermissionDenied("some of these leads or this batch are not yours") from None
    return dataclasses.replace(selection, max_lead_id=None)


def canonical(selection: Selection) -> str:
    return json.dumps(selection.to_json(), sort_keys=True, separators=(",", ":"))
