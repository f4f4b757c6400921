"""Chat models with tool calling: OpenAI (official SDK) and Gemini (google-genai).

One small interface, ``ChatModel.complete``: a system prompt, the conversation in a neutral
form and the tool schemas in; the streamed text (through ``on_text``) and any tool calls out.
Every SDK error or timeout becomes ``AIProviderError`` so the loop answers instead of
crashing. Tool schemas come from the tools' pydantic models with ``$ref`` inlined, which
both APIs accept.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, cast

from leadreel.config import Settings
from leadreel.integrations.ai import AIProviderError

OnText = Callable[[str], None]


@dataclass
class ToolCall:
    id: str
    name: str
    #: A JSON string (OpenAI) or an object (Gemini); the executor validates either.
    arguments: str | dict[str, Any]


@dataclass
class ModelReply:
    text: str = ""
    tool_calls: list[ToolCall] = field(default_factory=list)


@dataclass(frozen=True)
class ToolSpec:
    name: str
    description: str
    parameters: dict[str, Any]


class ChatModel(Protocol):
    name: str

    def complete(
        self, system: str, messages: Sequence[dict[str, Any]], tools: Sequence[ToolSpec],
        *, timeout: float, on_text: OnText,
    ) -> ModelReply: ...


def inline_refs(schema: dict[str, Any]) -> dict[str, Any]:
    """A pydantic JSON schema with its ``$defs`` substituted in place (no ``$ref`` left)."""
    defs = schema.get("$defs", {})

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                return walk(defs[ref.rsplit("/", 1)[1]])
            return {k: walk(v) for k, v in node.items() if k not in ("$defs", "title")}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    return walk(schema)


# ---- OpenAI -------------------------------------------------------------------------------
class OpenAIChat:
    """Chat completions with ``tools``, streamed; any OpenAI-compatible server via base_url."""

    name = "openai"

    def __init__(self, *, api_key: str, model: str, base_url: str | None) -> None:
        import openai  # noqa: PLC0415 - only load the SDK that is used

        self._errors: tuple[type[BaseException], ...] = (openai.OpenAIError,)
        self._client = openai.OpenAI(api_key=api_key or "unused", base_url=base_url or None,
                                     max_retries=0)
        self.model = model

    def _messages(self, system: str, messages: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = [{"role": "system", "content": system}]
        for m in messages:
            if m["role"] == "assistant" and m.get("tool_calls"):
                out.append({
                    "role": "assistant",
                    "content": m.get("content") or None,
                    "tool_calls": [
                        {"id": c.id, "type": "function", "function": {
                            "name": c.name,
                            "arguments": c.arguments if isinstance(c.arguments, str)
                            else json.dumps(c.arguments)}}
                        for c in m["tool_calls"]
                    ],
                })
            elif m["role"] == "tool":
                out.append({"role": "tool", "tool_call_id": m["tool_call_id"],
                            "content": m["content"]})
            else:
                out.append({"role": m["role"], "content": m["content"]})
        return out

    def complete(
        self, system: str, messages: Sequence[dict[str, Any]], tools: Sequence[ToolSpec],
        *, timeout: float, on_text: OnText,
    ) -> ModelReply:
        specs = [{"type": "function", "function": {"name": t.name, "description": t.description,
                                                   "parameters": t.parameters}} for t in tools]
        reply, calls = ModelReply(), {}  # type: ignore[var-annotated]
        try:
            stream = self._client.chat.completions.create(
                model=self.model, messages=self._messages(system, messages),  # type: ignore[arg-type]
                tools=specs, stream=True, timeout=timeout, temperature=0,  # type: ignore[arg-type]
            )
            for chunk in cast(Any, stream):
                if not chunk.choices:
                    continue
                delta = chunk.choices[0].delta
                if delta.content:
                    reply.text += delta.content
                    on_text(delta.content)
                for part in delta.tool_calls or []:
                    call = calls.setdefault(part.index, {"id": "", "name": "", "arguments": ""})
                    call["id"] = part.id or call["id"]
                    if part.function is not None:
                        call["name"] += part.function.name or ""
                        call["arguments"] += part.function.arguments or ""
        except self._errors as exc:
            raise AIProviderError(f"OpenAI request failed: {type(exc).__name__}") from exc
        reply.tool_calls = [
            ToolCall(c["id"] or f"call_{uuid.uuid4().hex[:8]}", c["name"], c["arguments"])
            for _, c in sorted(calls.items())
        ]
        return reply

    def close(self) -> None:
        self._client.close()


# ---- Gemini -------------------------------------------------------------------------------
class GeminiChat:
    """``generate_content_stream`` with function declarations (google-genai)."""

    name = "gemini"

    def __init__(self, *, api_key: str, model: str, base_url: str | None) -> None:
        from google import genai  # noqa: PLC0415
        from google.genai import types  # noqa: PLC0415

        self._genai, self._types = genai, types
        self._api_key, self._base_url = api_key or "unused", base_url or None
        self.model = model

    def _contents(self, messages: Sequence[dict[str, Any]]) -> list[Any]:
        t = self._types
        out: list[Any] = []
        for m in messages:
            if m["role"] == "tool":
                part = t.Part(function_response=t.FunctionResponse(
                    id=m["tool_call_id"], name=m["name"], response={"result": m["content"]}))
                if out and out[-1].role == "user" and out[-1].parts[0].function_response:
                    out[-1].parts.append(part)
                else:
                    out.append(t.Content(role="user", parts=[part]))
            elif m["role"] == "assistant":
                parts = [t.Part(text=m["content"])] if m.get("content") else []
                parts += [t.Part(function_call=t.FunctionCall(
                    id=c.id, name=c.name,
                    args=c.arguments if isinstance(c.arguments, dict) else {}))
                    for c in m.get("tool_calls") or []]
                out.append(t.Content(role="model", parts=parts))
            else:
                out.append(t.Content(role="user", parts=[t.Part(text=m["content"])]))
        return out

    def complete(
        self, system: str, messages: Sequence[dict[str, Any]], tools: Sequence[ToolSpec],
        *, timeout: float, on_text: OnText,
    ) -> ModelReply:
        t = self._types
        client = self._genai.Client(
            api_key=self._api_key,
            http_options=t.HttpOptions(timeout=max(1, int(timeout * 1000)),
                                       base_url=self._base_url),
        )
        config = t.GenerateContentConfig(
            system_instruction=system,
            temperature=0,
            tools=[t.Tool(function_declarations=[
                t.FunctionDeclaration(name=s.name, description=s.description,
                                      parameters_json_schema=s.parameters) for s in tools])],
            automatic_function_calling=t.AutomaticFunctionCallingConfig(disable=True),
        )
        reply = ModelReply()
        try:
            for chunk in client.models.generate_content_stream(
                model=self.model, contents=self._contents(messages), config=config
            ):
                for cand in chunk.candidates or []:
                    for part in (cand.content.parts if cand.content else None) or []:
                        if part.function_call is not None:
                            fc = part.function_call
                            reply.tool_calls.append(ToolCall(
                                fc.id or f"call_{uuid.uuid4().hex[:8]}", fc.name or "",
                                dict(fc.args or {})))
                        elif part.text:
                            reply.text += part.text
                            on_text(part.text)
        except Exception as exc:  # SDK APIError, httpx timeouts and transport errors
            raise AIProviderError(f"Gemini request failed: {type(exc).__name__}") from exc
        finally:
            client.close()
        return reply

    def close(self) -> None:
        """Each call makes and closes its client."""


def provider_kind(settings: Settings) -> str:
    """Which provider the settings choose: auto = OpenAI with a key or base URL, else Gemini
    with a key, else the offline interpreter."""
    kind = settings.assistant_provider
    if kind != "auto":
        return kind
    if settings.openai_api_key or settings.openai_base_url:
        return "openai"
    if settings.gemini_api_key:
        return "gemini"
    return "offline"


def make_chat_model(settings: Settings) -> ChatModel | None:
    """The configured chat model, or None for the offline interpreter."""
    kind = provider_kind(settings)
    if kind == "openai":
        return OpenAIChat(api_key=settings.openai_api_key, model=settings.openai_model,
                          base_url=settings.openai_base_url)
    if kind == "gemini":
        return GeminiChat(api_key=settings.gemini_api_key, model=settings.gemini_model,
                          base_url=settings.gemini_base_url)
    return None
