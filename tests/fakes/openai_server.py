"""A fake OpenAI chat-completions server that the real `openai` SDK accepts.

Queue what the model should say:
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
import time
from typing import Any

from tests.fakes.http_fake import FakeJSONServer, RecordedRequest, Reply

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
        model = request.body.get("model", "fake-model") if isinstance(request.body, dict) else "m"
        return Reply(body=completion(message, model), delay=delay)

    def sent_messages(self, n: int = -1) -> list[dict[str, Any]]:
        """The `messages` of the n-th recorded request (default: the last)."""
        return list(self.requests[n].body["messages"])
