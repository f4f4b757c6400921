"""The offline interpreter: plain English commands for the same tools, without any AI.

A real parser, not a list of sentences. It reads the vocabulary from two places:
- the tools: each tool's ``keywords`` pick the intent, and each field of its ``Args`` model
  has a slot reader (``leads``, ``template``, ``samples``, ``format``, ``to_user``,
  ``batch``, ``days``); enum values (formats, video statuses) come from the JSON schema;
- the database: video and export template names, the user's batch names and the names of
  the users leads can be given to. Those values are found first and cut out of the text, so
  a batch named "export everything" is a batch name, never a command.
What it cannot map to one tool call with valid arguments it asks about or refuses, and it
says what it can do. The call then runs through the executor like a model's would.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from leadreel.agent import services
from leadreel.agent.context import ToolContext
from leadreel.agent.tools import TOOLS

#: Which intent wins when several tools' keywords appear (the more specific first).
PRIORITY = (
    "rerender_failed", "video_views", "count_leads", "summarize_failures", "batch_progress",
    "start_uploads", "export_leads", "assign_leads", "start_renders", "list_options",
    "search_leads",
)
REFUSE = re.compile(
    r"\b(delete|remove|erase|wipe|destroy|drop|truncate|purge|deactivate|password|"
    r"api key|secret|sql)\b|select \*|drop table"
)
HELP = re.compile(r"^\s*(help|\?|what can you do|commands)\b")
SELECTED = re.compile(r"\b(selected|selection|these|those|them|ticked|checked|this page)\b")
ALL = re.compile(r"\b(all|every|everything|everyone|all my|whole)\b")
LEAD_IDS = re.compile(r"\b(?:leads?|#)\s*((?:\d+\s*(?:,|and|&)?\s*)+)")
SEARCH = re.compile(r"\b(?:named|called|matching|containing|at company|from company|"
                    r"at|search for)\s+([a-z0-9][\w.@&' -]{1,60}?)(?=$|[?.!,]| with| as|"
                    r" in | to | failed| without)")
SAMPLES = re.compile(r"(\d+)\s*samples?|samples?\s*(?:first)?\s*[:=]?\s*(\d+)")
DAYS = re.compile(r"(?:last|past)\s+(\d+)\s+days?")
PERIODS = {"today": 1, "yesterday": 2, "this week": 7, "last week": 14, "this month": 30,
           "last month": 60}
VIDEO_WORDS = {
    "without a video": "none", "without video": "none", "with no video": "none",
    "no video": "none", "not rendered": "none", "failed": "failed", "broken": "failed",
    "rendered": "rendered", "ready": "ready", "rendering": "rendering", "queued": "queued",
}
UNKNOWN_TEMPLATE = re.compile(r"\b(?:with|using|template)\s+(?:the\s+)?(?:template\s+)?"
                              r"['\"]?([a-z0-9][\w -]{1,40}?)['\"]?\s*(?:template)?\s*$")
UNKNOWN_EXPORT = re.compile(r"\b(?:as|with template|using template|template)\s+['\"]?"
                            r"([a-z0-9][\w -]{1,40}?)['\"]?\s*$")
UNKNOWN_BATCH = re.compile(r"\bbatch\s+['\"]?([a-z0-9][\w' -]{0,40}?)['\"]?(?=$|[?.!,]| failed|"
                           r" with| to)")
UNKNOWN_USER = re.compile(r"\bto\s+([a-z][\w.@-]{1,40})\s*$")


@dataclass
class Parsed:
    """One tool call, or a question / refusal (``tool`` None)."""

    tool: str | None
    args: dict[str, Any] = field(default_factory=dict)
    reply: str = ""


@dataclass
class Vocabulary:
    """The database's names the parser knows (lower-cased -> shown form)."""

    templates: dict[str, str]
    exports: dict[str, str]
    batches: dict[str, str]
    users: dict[str, str]

    @classmethod
    def load(cls, ctx: ToolContext) -> Vocabulary:
        users: dict[str, str] = {}
        for u in services.assignable_users(ctx.session, ctx.user):
            label = u.name or u.email
            for key in filter(None, {u.email, u.email.split("@")[0], u.name,
                                     (u.name or "").split(" ")[0]}):
                users.setdefault(key.lower(), label)
        return cls(
            templates={t.name.lower(): t.name for t in services.video_templates(ctx.session)},
            exports={n.lower(): n for n in services.export_template_names(ctx.session)},
            batches={b.name.lower(): b.name
                     for b in services.visible_batches(ctx.session, ctx.user, limit=1000)},
            users=users,
        )


def help_text(ctx: ToolContext) -> str:
    lines = ["I understand plain commands about your leads, for example:",
             "• how many leads in batch <name> failed?",
             "• render videos for the selected leads with <template> (samples first: 5)",
             "• re-render the failed videos · why did they fail?",
             "• export selected as <export template> (csv or xlsx)",
             "• assign these to <user> · upload the selected videos",
             "• who watched their video this week? · progress of batch <name>"]
    return "\n".join(lines)


def _find(text: str, names: dict[str, str]) -> tuple[str | None, str]:
    """The longest known name in ``text`` (whole words); returns it and the text without it."""
    for key in sorted(names, key=len, reverse=True):
        match = re.search(rf"(?<![\w]){re.escape(key)}(?![\w])", text)
        if match:
            return names[key], (text[: match.start()] + " " + text[match.end():]).strip()
    return None, text


def _quoted(text: str) -> list[str]:
    return [a or b for a, b in re.findall(r'"([^"]+)"|\'([^\']+)\'', text)]


class _Slots:
    """Reads the fields of one tool's Args out of the text."""

    def __init__(self, ctx: ToolContext, vocab: Vocabulary, tool: str, text: str,
                 found: dict[str, str | None]) -> None:
        self.ctx, self.vocab, self.tool, self.text, self.found = ctx, vocab, tool, text, found
        self.question = ""
        #: The text without the phrases other slots own, for the "with <name>" readers.
        plain = SAMPLES.sub(" ", text)
        plain = re.sub(r"\b(samples?( first)?|first|(as |in |to )?(csv|xlsx|excel|"
                       r"spreadsheet))\b", " ", plain)
        self.plain = " ".join(plain.replace(":", " ").split()).strip(" ?.!,")

    def ask(self, question: str) -> None:
        self.question = self.question or question

    def leads(self) -> dict[str, Any]:
        text = self.text
        out: dict[str, Any] = {}
        if self.found.get("batch"):
            out["batch"] = self.found["batch"]
        elif (m := UNKNOWN_BATCH.search(text)) and self.tool != "batch_progress":
            known = ", ".join(self.vocab.batches.values()) or "none yet"
            self.ask(f"I don't know a batch named '{m[1]}'. Your batches: {known}.")
        if m := LEAD_IDS.search(text):
            out["lead_ids"] = [int(n) for n in re.findall(r"\d+", m[1])]
        if self.tool == "count_leads" or self.tool == "search_leads":
            for phrase, status in VIDEO_WORDS.items():
                if re.search(rf"\b{phrase}\b", text):
                    out["video_status"] = status
                    break
        if (m := SEARCH.search(text)) and not out.get("lead_ids"):
            out["search"] = m[1].strip()
        wants_selected = bool(SELECTED.search(text))
        wants_all = bool(ALL.search(text)) and not wants_selected
        has_filter = bool(out.get("batch") or out.get("search") or out.get("lead_ids"))
        page = not self.ctx.selection.is_empty()
        if wants_selected and not page:
            self.ask("Nothing is selected on the page. Tick some leads first, or name a batch.")
        if wants_all and not has_filter:
            return {**out, "use_selection": False, "all_leads": True}
        if wants_selected or (page and not has_filter):
            return {**out, "use_selection": True}
        if has_filter:
            return {**out, "use_selection": False}
        if self.tool in ("count_leads", "video_views", "summarize_failures", "search_leads"):
            return {**out, "use_selection": False, "all_leads": True}
        self.ask("Which leads? Tick them on the page, say 'all', or name a batch.")
        return {"use_selection": True}

    def template(self) -> str | None:
        if self.tool == "export_leads":
            if self.found.get("export"):
                return self.found["export"]
            if m := UNKNOWN_EXPORT.search(self.plain):
                known = ", ".join(self.vocab.exports.values())
                self.ask(f"I don't know an export template named '{m[1]}'. Known: {known}.")
            return "core"
        if self.found.get("template"):
            return self.found["template"]
        if m := UNKNOWN_TEMPLATE.search(self.plain):
            known = ", ".join(self.vocab.templates.values()) or "none yet"
            self.ask(f"I don't know a video template named '{m[1]}'. Templates: {known}.")
        return None

    def samples(self) -> int:
        if m := SAMPLES.search(self.text):
            return int(m[1] or m[2])
        if re.search(r"\bsamples?\b", self.text):
            self.ask("How many samples first? For example: 'samples first: 5'.")
        return 0

    def limit(self) -> int:
        if m := re.search(r"\b(?:first|top|up to)\s+(\d+)", self.text):
            return max(1, min(int(m[1]), 100))
        return 10

    def format(self) -> str:
        return "xlsx" if re.search(r"\b(xlsx|excel|spreadsheet)\b", self.text) else "csv"

    def to_user(self) -> str:
        if self.found.get("user"):
            return str(self.found["user"])
        if m := UNKNOWN_USER.search(self.text):
            if not self.vocab.users:
                return m[1]  # let the tool refuse: this user may not assign leads
            names = ", ".join(sorted(set(self.vocab.users.values())))
            self.ask(f"Who is '{m[1]}'? Users: {names}.")
            return m[1]
        self.ask("Assign them to whom? Say 'assign these to <name>'.")
        return ""

    def batch(self) -> str:
        if self.found.get("batch"):
            return str(self.found["batch"])
        if (m := UNKNOWN_BATCH.search(self.text)) and m[1] not in ("the", "this", "my"):
            return m[1]  # the tool looks it up in the user's batches and says if it is not there
        if self.ctx.selection.batch_id:
            return str(self.ctx.selection.batch_id)
        known = ", ".join(self.vocab.batches.values()) or "none yet"
        self.ask(f"Which batch? Your batches: {known}.")
        return ""

    def days(self) -> int:
        if m := DAYS.search(self.text):
            return max(1, min(int(m[1]), 365))
        for phrase, days in PERIODS.items():
            if phrase in self.text:
                return days
        return 7


def _intent(text: str) -> str | None:
    def has(word: str) -> bool:
        return re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", text) is not None

    hits = {name for name in PRIORITY if any(has(k) for k in TOOLS[name].keywords)}
    if "rerender_failed" not in hits and has("again") and "start_renders" in hits:
        hits.add("rerender_failed")
    if "count_leads" in hits and "video_views" in hits:
        return "video_views"
    if "summarize_failures" in hits and hits & {"start_renders", "rerender_failed"}:
        hits.discard("summarize_failures")
    if "export_leads" in hits:  # "export the 12 failed leads" is an export, not a count
        hits.discard("count_leads")
    for name in PRIORITY:
        if name in hits:
            return name
    if re.search(r"\bfail(ed|ures?)?\b", text):
        return "summarize_failures"
    return None


def interpret(ctx: ToolContext, message: str) -> Parsed:
    """Parse one message into a tool call, a question or a refusal."""
    raw = " ".join(message.strip().split())
    text = raw.lower()
    if not text or HELP.search(text):
        return Parsed(None, reply=help_text(ctx))
    vocab = Vocabulary.load(ctx)
    found: dict[str, str | None] = {}
    rest = text
    for quoted in _quoted(raw):  # a quoted name is looked up in every vocabulary
        q = quoted.lower()
        for slot, names in (("batch", vocab.batches), ("template", vocab.templates),
                            ("export", vocab.exports), ("user", vocab.users)):
            if q in names and slot not in found:
                found[slot] = names[q]
                rest = rest.replace(f'"{q}"', " ").replace(f"'{q}'", " ")
                break
    for slot, names in (("batch", vocab.batches), ("template", vocab.templates),
                        ("export", vocab.exports), ("user", vocab.users)):
        if slot not in found:
            value, rest = _find(rest, names)
            if value is not None:
                found[slot] = value
    if REFUSE.search(rest):
        return Parsed(None, reply="I can't do that from the chat. " + help_text(ctx))
    tool = _intent(rest)
    if tool is None:
        return Parsed(None, reply="Sorry, I did not understand that. " + help_text(ctx))
    slots = _Slots(ctx, vocab, tool, rest, found)
    args = {name: getattr(slots, name)() for name in TOOLS[tool].args.model_fields}
    if slots.question:
        return Parsed(None, reply=slots.question)
    return Parsed(tool, args)
