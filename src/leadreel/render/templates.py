"""Video templates as data: what a personalized video is made of, validated by pydantic.

A template is a list of segments played one after the other. Three kinds exist because
those are the three shots a prospecting video uses:

* ``fullscreen``: a presenter clip filling the frame (typically the intro);
* ``pip``: the presenter in a corner over the lead's website (scrolling or still) or ads;
* ``audio_over_image``: a still (website, ads, any image asset) with the clip's voice.

Templates are stored as JSON (``VideoTemplate.model_validate_json``), so every rule lives
here and a bad template fails with a message naming the field, before any ffmpeg runs.

Lead-independent segments (a fullscreen clip whose texts use no lead variable) are the
same for every lead: the renderer encodes them once and reuses them, keyed by
:meth:`VideoTemplate.segment_cache_key`.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

# ``{name}`` placeholders; ``{{`` and ``}}`` are literal braces. Only bare identifiers are
# placeholders, so ``{lead.__class__}`` or ``{0[1]}`` are left as text: nothing like
# ``str.format`` attribute or index access can ever run on lead data.
#: ``{name}`` or ``{name|fallback}``: the fallback is used when the lead has no value
#: (a business-only lead has no first name: "Hi {first_name|there}").
_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_]*)(?:\|([^{}|]{0,60}))?\}")

# xfade's named transitions (ffmpeg 6+); "none" means a hard cut.
XFADE_TRANSITIONS = frozenset(
    """fade wipeleft wiperight wipeup wipedown slideleft slideright slideup slidedown
    circlecrop rectcrop distance fadeblack fadewhite radial smoothleft smoothright smoothup
    smoothdown circleopen circleclose vertopen vertclose horzopen horzclose dissolve pixelize
    diagtl diagtr diagbl diagbr hlslice hrslice vuslice vdslice hblur fadegrays wipetl wipetr
    wipebl wipebr squeezeh squeezev zoomin fadefast fadeslow hlwind hrwind vuwind vdwind
    coverleft coverright coverup coverdown revealleft revealright revealup revealdown""".split()
)

_COLOR = re.compile(r"^(#[0-9A-Fa-f]{6}([0-9A-Fa-f]{2})?|[A-Za-z]+)(@(0(\.\d+)?|1(\.0+)?))?$")


def render_text(template_text: str, variables: Mapping[str, Any]) -> str:
    """Substitute ``{name}`` / ``{name|fallback}`` placeholders; an unknown or empty value
    gives the fallback, or ``""``."""

    def _sub(match: re.Match[str]) -> str:
        token = match.group(0)
        if token == "{{":
            return "{"
        if token == "}}":
            return "}"
        value = variables.get(match.group(1))
        text = "" if value is None else str(value).strip()
        return text or (match.group(2) or "")

    return _PLACEHOLDER.sub(_sub, template_text)


def text_variables(template_text: str) -> set[str]:
    """Names of the placeholders used in ``template_text``."""
    return {m.group(1) for m in _PLACEHOLDER.finditer(template_text) if m.group(1)}


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TextOverlay(_Model):
    """A line of text drawn over a segment; ``size`` is a fraction of the output height
    so one template renders the same at 720p and in a 180p test."""

    text: str = Field(min_length=1, max_length=300)
    position: Literal[
        "top", "center", "bottom", "top_left", "top_right", "bottom_left", "bottom_right"
    ] = "bottom"
    size: float = Field(default=0.06, gt=0.01, le=0.5)
    color: str = "white"
    box: bool = True
    box_color: str = "black@0.5"
    start: float = Field(default=0.0, ge=0)
    end: float | None = Field(default=None, gt=0)

    @field_validator("color", "box_color")
    @classmethod
    def _check_color(cls, value: str) -> str:
        if not _COLOR.match(value):
            raise ValueError(f"not a color: {value!r} (use a name or #RRGGBB, optional @alpha)")
        return value

    @model_validator(mode="after")
    def _check_window(self) -> TextOverlay:
        if self.end is not None and self.end <= self.start:
            raise ValueError(f"end ({self.end}) must be after start ({self.start})")
        return self


class Transition(_Model):
    """How a segment hands over to the next: a cut, or an xfade of ``duration`` seconds."""

    type: str = "none"
    duration: float = Field(default=0.5, gt=0, le=5)

    @field_validator("type")
    @classmethod
    def _check_type(cls, value: str) -> str:
        if value != "none" and value not in XFADE_TRANSITIONS:
            raise ValueError(f"unknown transition {value!r}; use 'none' or an xfade name")
        return value

    @property
    def is_cut(self) -> bool:
        return self.type == "none"


class ImageSource(_Model):
    """A still picture: the website (viewport, i.e. top of the page), the ads, or an asset."""

    source: Literal["website", "ads", "image"]
    asset_id: str | None = None

    @model_validator(mode="after")
    def _check_asset(self) -> ImageSource:
        if self.source == "image" and not self.asset_id:
            raise ValueError("asset_id is required when source is 'image'")
        if self.source != "image" and self.asset_id:
            raise ValueError(
                f"asset_id is only allowed when source is 'image', not {self.source!r}"
            )
        return self


class PipBackground(_Model):
    """Behind a picture-in-picture: the full website scrolled top to bottom, or a still."""

    source: Literal["website_scroll", "website", "ads", "image"] = "website_scroll"
    asset_id: str | None = None

    @model_validator(mode="after")
    def _check_asset(self) -> PipBackground:
        ImageSource.model_validate(
            {
                "source": "website" if self.source == "website_scroll" else self.source,
                "asset_id": self.asset_id,
            }
        )
        return self


class _Segment(_Model):
    id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    clip: str = Field(min_length=1, description="asset id of the presenter clip")
    duration: float | None = Field(default=None, gt=0, le=600)
    fade_in: float = Field(default=0.0, ge=0, le=10)
    fade_out: float = Field(default=0.0, ge=0, le=10)
    texts: list[TextOverlay] = Field(default_factory=list)
    transition: Transition = Field(default_factory=Transition)

    @model_validator(mode="after")
    def _check_fades(self) -> _Segment:
        if self.duration is not None and self.fade_in + self.fade_out > self.duration:
            raise ValueError(
                f"fade_in + fade_out ({self.fade_in + self.fade_out}) "
                f"exceed duration {self.duration}"
            )
        return self

    def variables_used(self) -> set[str]:
        return set().union(*(text_variables(t.text) for t in self.texts))

    def is_lead_independent(self) -> bool:
        """True when every lead gets identical pixels and sound for this segment."""
        return False


class FullscreenSegment(_Segment):
    type: Literal["fullscreen"] = "fullscreen"

    def is_lead_independent(self) -> bool:
        return not self.variables_used()


class PipSegment(_Segment):
    type: Literal["pip"] = "pip"
    position: Literal["tl", "tr", "bl", "br"] = "br"
    size: float = Field(default=0.3, ge=0.05, le=0.9, description="pip width / output width")
    margin: int = Field(default=24, ge=0, le=500, description="pixels from the frame edges")
    circle: bool = False
    background: PipBackground = Field(default_factory=PipBackground)


class AudioOverImageSegment(_Segment):
    type: Literal["audio_over_image"] = "audio_over_image"
    image: ImageSource = Field(default_factory=lambda: ImageSource(source="ads"))
    zoom: float = Field(default=0.0, ge=0, le=1, description="0.1 = end 10% zoomed in")


Segment = Annotated[
    FullscreenSegment | PipSegment | AudioOverImageSegment, Field(discriminator="type")
]


class OutputSpec(_Model):
    width: int = Field(default=1280, ge=64, le=3840)
    height: int = Field(default=720, ge=64, le=2160)
    fps: int = Field(default=30, ge=1, le=60)

    @field_validator("width", "height")
    @classmethod
    def _even(cls, value: int) -> int:
        if value % 2:
            raise ValueError(f"must be even for yuv420p, got {value}")
        return value


_CTA_SCHEMES = ("http://", "https://", "mailto:")


class ShareSettings(_Model):
    """What the prospect's share page says around the player; every text takes lead
    variables (``{company_name|you}``). Not part of any cache key: the page reads the
    template when it is opened, so fixing a typo fixes links already sent."""

    headline: str = Field(default="Made for {company_name|you}", max_length=200)
    message: str = Field(
        default="I recorded this short video for {company_name|you}.",
        max_length=2000,
        description="A few lines below the video.",
    )
    cta_label: str = Field(default="", max_length=80, description="Button text; empty: no button.")
    cta_url: str = Field(
        default="",
        max_length=1000,
        description="Button link (http, https or mailto), e.g. a booking page; takes variables.",
    )

    @field_validator("cta_url")
    @classmethod
    def _check_url(cls, value: str) -> str:
        value = value.strip()
        if value and not value.lower().startswith(_CTA_SCHEMES) and not value.startswith("{"):
            raise ValueError("must start with https://, http:// or mailto:")
        return value


class VideoTemplate(_Model):
    """A whole video. ``version`` is part of every cache key: bump it to force re-encodes."""

    name: str = "default"
    version: int = Field(default=1, ge=1)
    output: OutputSpec = Field(default_factory=OutputSpec)
    segments: list[Segment] = Field(min_length=1, max_length=20)
    share: ShareSettings = Field(default_factory=ShareSettings)

    @model_validator(mode="after")
    def _check_segments(self) -> VideoTemplate:
        seen: set[str] = set()
        for index, seg in enumerate(self.segments):
            if seg.id in seen:
                raise ValueError(f"segments[{index}].id: duplicate segment id {seg.id!r}")
            seen.add(seg.id)
        last = self.segments[-1]
        if not last.transition.is_cut:
            raise ValueError(
                f"segments[{len(self.segments) - 1}].transition: the last segment has no next "
                "segment to transition to; use type 'none'"
            )
        for index, (seg, nxt) in enumerate(zip(self.segments, self.segments[1:], strict=False)):
            td = seg.transition.duration
            for other in (seg, nxt):
                if (
                    not seg.transition.is_cut
                    and other.duration is not None
                    and td >= other.duration
                ):
                    raise ValueError(
                        f"segments[{index}].transition.duration: {td}s is not shorter than "
                        f"segment {other.id!r} ({other.duration}s)"
                    )
        return self

    def asset_ids(self) -> set[str]:
        """Every asset the template needs (clips and image assets)."""
        ids = {seg.clip for seg in self.segments}
        for seg in self.segments:
            if isinstance(seg, PipSegment) and seg.background.asset_id:
                ids.add(seg.background.asset_id)
            if isinstance(seg, AudioOverImageSegment) and seg.image.asset_id:
                ids.add(seg.image.asset_id)
        return ids

    def lead_independent_segments(self) -> list[int]:
        """Indexes of segments that are the same for every lead."""
        return [i for i, seg in enumerate(self.segments) if seg.is_lead_independent()]

    def cacheable_segments(self) -> list[int]:
        """Lead-independent segments the renderer may encode once and join by stream copy.

        A segment joined by the concat demuxer cannot take part in an xfade (the frames
        of both sides would have to be re-encoded together), so a lead-independent segment
        with an xfade on either side is rendered in the per-lead graph instead. Fades to or
        from black (``fade_in``/``fade_out``) stay inside a segment and are fine.
        """
        result = []
        for i in self.lead_independent_segments():
            before = self.segments[i - 1].transition if i > 0 else None
            after = self.segments[i].transition
            if after.is_cut and (before is None or before.is_cut):
                result.append(i)
        return result

    def segment_cache_key(
        self,
        index: int,
        *,
        asset_hashes: Mapping[str, str],
        encoder: Mapping[str, Any],
    ) -> str:
        """A stable key for one lead-independent segment's encoded file.

        It covers everything that changes the bytes: the segment's parameters, the content
        hash of its clip (not its path: re-uploading the same file must hit), the output
        size and rate, the template version and the encoder settings.
        """
        seg = self.segments[index]
        if not seg.is_lead_independent():
            raise ValueError(f"segments[{index}] ({seg.id!r}) depends on the lead; not cacheable")
        payload = {
            "segment": seg.model_dump(mode="json", exclude={"transition"}),
            "clip_sha256": asset_hashes[seg.clip],
            "output": self.output.model_dump(mode="json"),
            "template": [self.name, self.version],
            "encoder": dict(encoder),
        }
        blob = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
        return hashlib.sha256(blob.encode()).hexdigest()[:32]


DEFAULT_TEMPLATE = VideoTemplate.model_validate(
    {
        "name": "default",
        "version": 1,
        "output": {"width": 1280, "height": 720, "fps": 30},
        "segments": [
            {
                "type": "fullscreen",
                "id": "intro",
                "clip": "intro",
                "fade_in": 0.3,
                "fade_out": 0.3,
            },
            {
                "type": "pip",
                "id": "website",
                "clip": "walkthrough",
                "position": "br",
                "size": 0.3,
                "margin": 32,
                "circle": True,
                "background": {"source": "website_scroll"},
                "fade_in": 0.3,
                "texts": [{"text": "Made for {company_name}", "position": "top_left", "end": 4}],
                "transition": {"type": "fade", "duration": 0.5},
            },
            {
                "type": "audio_over_image",
                "id": "outro",
                "clip": "outro",
                "image": {"source": "ads"},
                "zoom": 0.08,
                "fade_out": 0.5,
                "texts": [{"text": "Talk soon, {first_name|friend}!", "position": "bottom"}],
            },
        ],
        "share": {
            "headline": "Made for {company_name|you}",
            "message": "Hi {first_name|there}, I looked at your website and recorded this "
            "short video for {company_name|your team}. Two minutes, no slides.",
            "cta_label": "Book a 15-minute call",
            "cta_url": "https://calendar.example.com/book?company={company_name}",
        },
    }
)
