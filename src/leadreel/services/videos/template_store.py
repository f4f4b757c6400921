"""Video templates as database rows, validated by the pydantic model before they are stored.

Why validate here and not only at render time: a template is used by every render of a
batch, so an error found at save time costs the user one corrected field, found at render
time it costs a failed batch. Errors come back per field (``segments.1.size``) so the editor
can show each message next to what caused it.

Every edit of the spec (or of ``allow_fallback``) bumps ``version``: a video records the
version it was rendered with, and the renderer's segment cache is keyed by it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, get_args

import pydantic
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from leadreel.errors import NotFound, ValidationError
from leadreel.models import Lead
from leadreel.models import VideoTemplate as TemplateRow
from leadreel.render.templates import (
    DEFAULT_TEMPLATE,
    XFADE_TRANSITIONS,
    AudioOverImageSegment,
    PipSegment,
    Segment,
    TextOverlay,
    VideoTemplate,
)
from leadreel.services.videos import library
from leadreel.services.videos.screenshots import CaptureResult
from leadreel.services.videos.variables import lead_variables

#: The output sizes the editor offers (the first is OutputSpec's default); any other even
#: size stays possible through the JSON.
OUTPUT_PRESETS: tuple[dict[str, Any], ...] = (
    {"key": "720p", "label": "HD 720p · 1280 × 720", "width": 1280, "height": 720},
    {"key": "1080p", "label": "Full HD 1080p · 1920 × 1080", "width": 1920, "height": 1080},
    {"key": "square", "label": "Square · 1080 × 1080", "width": 1080, "height": 1080},
    {"key": "vertical", "label": "Vertical · 1080 × 1920", "width": 1080, "height": 1920},
)

# VideoTemplate's cross-segment checks name the field in their message, as in
# "segments[2].transition: the last segment ...": that name is the error's real loc.
_NAMED_LOC = re.compile(r"^segments\[(\d+)\]((?:\.[a-z_]+)*): (.+)$", re.DOTALL)


@dataclass(frozen=True)
class FieldError:
    """One problem in a template: ``loc`` is a dotted path such as ``segments.1.size``."""

    loc: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"loc": self.loc, "message": self.message}


class TemplateInvalid(ValidationError):
    """The spec does not validate; ``errors`` holds one FieldError per problem."""

    def __init__(self, errors: list[FieldError]):
        self.errors = errors
        super().__init__("; ".join(f"{e.loc or 'template'}: {e.message}" for e in errors))


def parse_spec(raw: str | dict[str, Any], *, session: Session | None = None) -> VideoTemplate:
    """Validate a spec (JSON text or dict); with a session, also check its assets exist."""
    if isinstance(raw, str):
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as exc:
            where = f"line {exc.lineno}, column {exc.colno}"
            error = FieldError("", f"not valid JSON: {exc.msg} ({where})")
            raise TemplateInvalid([error]) from None
    else:
        data = raw
    if not isinstance(data, dict):
        raise TemplateInvalid([FieldError("", "the template must be a JSON object")])
    try:
        model = VideoTemplate.model_validate(data)
    except pydantic.ValidationError as exc:
        raise TemplateInvalid([_field_error(err) for err in exc.errors()]) from None
    if session is not None:
        _check_assets(session, model)
    return model


def _field_error(err: Any) -> FieldError:
    loc = [str(part) for part in err.get("loc", ())]
    # Drop the discriminator tag pydantic inserts ("segments.1.pip.size" -> "segments.1.size").
    tags = ("fullscreen", "pip", "audio_over_image")
    if len(loc) >= 3 and loc[0] == "segments" and loc[2] in tags:
        del loc[2]
    message = str(err.get("msg", "invalid")).removeprefix("Value error, ")
    if not loc and (named := _NAMED_LOC.match(message)):
        return FieldError(f"segments.{named[1]}{named[2]}", named[3])
    return FieldError(".".join(loc), message)


def _check_assets(session: Session, model: VideoTemplate) -> None:
    errors = []
    for index, seg in enumerate(model.segments):
        if library.find_asset(session, seg.clip) is None:
            errors.append(FieldError(f"segments.{index}.clip", f"no media asset {seg.clip!r}"))
        for key in ("background", "image"):
            sub = getattr(seg, key, None)
            ref = getattr(sub, "asset_id", None)
            if ref and library.find_asset(session, ref) is None:
                errors.append(
                    FieldError(f"segments.{index}.{key}.asset_id", f"no media asset {ref!r}")
                )
    if errors:
        raise TemplateInvalid(errors)


def to_model(row: TemplateRow) -> VideoTemplate:
    """The pydantic template of a row, its name and version taken from the row."""
    spec = dict(row.spec or {})
    spec.update(name=row.name, version=max(1, row.version))
    return VideoTemplate.model_validate(spec)


def _store(model: VideoTemplate) -> dict[str, Any]:
    """Every field, defaults included: the segment ``type`` tags are defaults too."""
    return model.model_dump(mode="json")


def editable_spec(spec: dict[str, Any]) -> dict[str, Any]:
    """The spec as the editor shows it: name and version belong to the row, not the JSON."""
    return {k: v for k, v in spec.items() if k not in ("name", "version")}


def editor_options(session: Session) -> dict[str, Any]:
    """Everything the form editor is generated from, as JSON-ready data.

    Why from the model: the form's fields per segment type, their choices, limits and
    defaults come from the pydantic schema and from blank models, so a change in
    templates.py reaches the form without a JavaScript edit, and the validation that the
    form's posted JSON goes through stays the single judge.
    """
    segment_types = get_args(get_args(Segment)[0])
    schema = VideoTemplate.model_json_schema()
    return {
        "schema": schema,
        # Orders as lists: the page's JSON has its object keys sorted.
        "segment_types": [cls.model_fields["type"].default for cls in segment_types],
        "field_order": {
            name: list(definition.get("properties", {}))
            for name, definition in schema["$defs"].items()
        },
        "blank_segments": {
            cls.model_fields["type"].default: cls(id="new", clip="new").model_dump(
                mode="json", exclude={"id", "clip"}
            )
            for cls in segment_types
        },
        "blank_text": TextOverlay(text="Hi {first_name|there}").model_dump(mode="json"),
        "transitions": sorted(XFADE_TRANSITIONS),
        "presets": list(OUTPUT_PRESETS),
        "media": [
            {"id": str(a.id), "name": a.name, "kind": a.kind, "duration": a.duration}
            for a in library.list_media(session)
        ],
        # The variables every lead has (an empty lead's keys); the preview adds the chosen
        # lead's extra columns.
        "variables": list(lead_variables(Lead())),
    }


def list_templates(session: Session) -> list[TemplateRow]:
    return list(
        session.scalars(
            select(TemplateRow).order_by(TemplateRow.is_default.desc(), TemplateRow.name)
        )
    )


def get_template(session: Session, template_id: int) -> TemplateRow:
    row = session.get(TemplateRow, template_id)
    if row is None:
        raise NotFound(f"template {template_id} not found")
    return row


def get_default(session: Session) -> TemplateRow | None:
    """The default template, else the oldest one, else None."""
    return session.scalars(
        select(TemplateRow).order_by(TemplateRow.is_default.desc(), TemplateRow.id).limit(1)
    ).first()


def create_template(
    session: Session,
    name: str,
    spec: str | dict[str, Any],
    *,
    allow_fallback: bool = True,
    created_by_id: int | None = None,
    is_default: bool = False,
) -> TemplateRow:
    """Validate and add a template; the caller commits."""
    name = _check_name(name)
    model = parse_spec(spec, session=session)
    spec = _store(model.model_copy(update={"name": name, "version": 1}))
    row = TemplateRow(
        name=name,
        version=1,
        spec=spec,
        allow_fallback=allow_fallback,
        created_by_id=created_by_id,
        is_default=False,
    )
    session.add(row)
    session.flush()
    if is_default or get_default(session) is row:
        set_default(session, row.id)
    return row


def update_template(
    session: Session,
    template_id: int,
    *,
    name: str | None = None,
    spec: str | dict[str, Any] | None = None,
    allow_fallback: bool | None = None,
) -> TemplateRow:
    """Validate and apply an edit; a changed spec or fallback rule bumps the version."""
    row = get_template(session, template_id)
    changed = False
    if spec is not None:
        model = parse_spec(spec, session=session)
        new_spec = _store(model.model_copy(update={"name": row.name, "version": row.version}))
        if new_spec != row.spec:
            row.spec = new_spec
            changed = True
    if allow_fallback is not None and allow_fallback != row.allow_fallback:
        row.allow_fallback = allow_fallback
        changed = True
    if name is not None and name.strip() != row.name:
        row.name = _check_name(name)
    if changed:
        row.version += 1
    spec_now = dict(row.spec)
    spec_now.update(name=row.name, version=row.version)
    row.spec = spec_now
    session.flush()
    return row


def delete_template(session: Session, template_id: int) -> None:
    """Delete a template (videos keep their files and lose the link); the caller commits."""
    row = get_template(session, template_id)
    was_default = row.is_default
    session.delete(row)
    session.flush()
    if was_default and (other := get_default(session)) is not None:
        set_default(session, other.id)


def set_default(session: Session, template_id: int) -> None:
    get_template(session, template_id)
    session.execute(update(TemplateRow).values(is_default=TemplateRow.id == template_id))
    session.expire_all()


def create_default_template(session: Session, *, clip_ids: dict[str, str]) -> TemplateRow:
    """The shipped DEFAULT_TEMPLATE with its clip names replaced by the given asset ids."""
    spec = DEFAULT_TEMPLATE.model_dump(mode="json")
    for seg in spec["segments"]:
        seg["clip"] = clip_ids.get(seg["clip"], seg["clip"])
    return create_template(session, "Default", spec, is_default=True)


def _check_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise TemplateInvalid([FieldError("name", "a name is required")])
    if len(name) > 200:
        raise TemplateInvalid([FieldError("name", "at most 200 characters")])
    return name


def images_used(model: VideoTemplate) -> set[str]:
    """Which captured images a template shows: ``website`` and/or ``ads``."""
    used: set[str] = set()
    for seg in model.segments:
        source = (
            seg.background.source
            if isinstance(seg, PipSegment)
            else seg.image.source
            if isinstance(seg, AudioOverImageSegment)
            else None
        )
        if source in ("website", "website_scroll"):
            used.add("website")
        elif source == "ads":
            used.add("ads")
    return used


def screenshot_source(capture: CaptureResult | None, used: set[str]) -> str | None:
    """The source shown on the lead: the website's, else the ads page's (when used)."""
    if not used:
        return None
    if capture is None:
        return "card"
    if "website" in used:
        return capture.website.source
    return capture.ads.source if capture.ads else "card"
