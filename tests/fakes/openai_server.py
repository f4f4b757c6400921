"""A fake OpenAI chat-completions server that the real `openai` SDK accepts.

Queue what the model should say (a request with ``"stream": true`` gets the same message as
server-sent chunk events, the way the real API streams text and tool calls):
    with FakeOpenAI() as fake:
        fake.reply('{"columns": []}')                 # assistant text content
        fake.reply_message({"role": "assistant", "content": None,
                            "tool_calls": [...]})       # raw message (tool calls)
        fake.error(500) / fake.slow('...', delay=2)     # failures
        client = openai.OpenAI(base_url=fake.base_url, api_key="k")
`fake.requests` records every request (path, headers, JSON body).
"""

from __future__ import annotations

import itertools
import json
import time
from typing import Any

from tests.fakes.http_fake import FakeJSONServer, RecordedRequest, Reply, sse

_ids = itertools.count(1)


def completion(message: dict[str, Any], model: str = "fake-model") -> dict[str, Any]:
    """A chat.completion body around one assistant message."""
    finish = "tool_calls" if message.get("tool_calls") else "stop"
    return {
        "id": f"chatcmpl-fake{next(_ids)}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": finish, "logprobs": None}],
        "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
    }


def _pieces(text: str, size: int = 12) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]


def stream_chunks(message: dict[str, Any], model: str = "fake-model") -> list[dict[str, Any]]:
    """The chat.completion.chunk events a streaming server sends for one message: the text
    in small pieces, each tool call's name first and its arguments in two halves."""
    ident, created = f"chatcmpl-fake{next(_ids)}", int(time.time())

    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {"id": ident, "object": "chat.completion.chunk", "created": created,
                "model": model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish,
                             "logprobs": None}]}

    out = [chunk({"role": "assistant", "content": ""})]
    if message.get("content"):
        out += [chunk({"content": piece}) for piece in _pieces(message["content"])]
    for index, call in enumerate(message.get("tool_calls") or []):
        args = call["function"].get("arguments", "")
        half = len(args) // 2
        out.append(chunk({"tool_calls": [{"index": index, "id": call.get("id"),
                                          "type": "function",
                                          "function": {"name": call["function"]["name"],
                                                       "arguments": args[:half]}}]}))
        out.append(chunk({"tool_calls": [{"index": index,
                                          "function": {"arguments": args[half:]}}]}))
    out.append(chunk({}, "tool_calls" if message.get("tool_calls") else "stop"))
    return out


def tool_call(name: str, arguments: Any, call_id: str | None = None) -> dict[str, Any]:
    """One entry of an assistant message's ``tool_calls`` (``arguments``: object or raw text)."""
    text = arguments if isinstance(arguments, str) else json.dumps(arguments)
    return {"id": call_id or f"call_{next(_ids)}", "type": "function",
            "function": {"name": name, "arguments": text}}


class FakeOpenAI(FakeJSONServer):
    """Speaks POST /v1/chat/completions; every other path gets a 404."""

    @property
    def base_url(self) -> str:
        return self.url + "/v1"

    def reply(self, content: str, *, delay: float = 0.0) -> None:
        """Queue an assistant message with text `content`."""
        self.push(("message", {"role": "assistant", "content": content}, delay))

    def reply_message(self, message: dict[str, Any]) -> None:
        """Queue a raw assistant `message` dict (e.g. with `tool_calls`)."""
        self.push(("message", {"role": "assistant", **message}, 0.0))

    def call_tools(self, *calls: dict[str, Any], content: str | None = None) -> None:
        """Queue an assistant message that calls tools (see ``tool_call``)."""
        self.reply_message({"content": content, "tool_calls": list(calls)})

    def slow(self, content: str, delay: float) -> None:
        """Queue an answer that arrives after `delay` seconds."""
        self.reply(content, delay=delay)

    def error(self, status: int = 500, message: str = "fake server error") -> None:
        """Queue an HTTP error with an OpenAI-style error body."""
        body = {"error": {"message": message, "type": "server_error", "code": None}}
        self.push(Reply(body=body, status=status))

    def build_reply(self, item: Any, request: RecordedRequest) -> Reply:
        if not request.path.endswith("/chat/completions"):
            return Reply(body={"error": {"message": f"fake: no route {request.path}"}}, status=404)
        if isinstance(item, Reply):
            return item
        _, message, delay = item
        body = request.body if isinstance(request.body, dict) else {}
        model = body.get("model", "fake-model")
        if body.get("stream"):
            raw = sse(stream_chunks(message, model), done=True)
            return Reply(raw=raw, delay=delay, content_type="text/event-stream")
        return Reply(body=completion(message, model), delay=delay)

    def sent_messages(self, n: int = -1) -> list[dict[str, Any]]:
        """The `messages` of the n-th recorded request (default: the last)."""
        return list(self.requests[n].body["messages"])
