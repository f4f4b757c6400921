"""A fake Gemini `generateContent` REST server that the real `google-genai` SDK accepts.

    with FakeGemini() as fake:
        fake.reply('{"columns": []}')      # the model's text part
        fake.error(500) / fake.slow('...', delay=2)
        client = genai.Client(api_key="k", http_options={"base_url": fake.url})
`fake.requests` records every request (path, headers, JSON body).
"""

from __future__ import annotations

from typing import Any

from tests.fakes.http_fake import FakeJSONServer, RecordedRequest, Reply


def generate_content_response(text: str, model: str = "fake-gemini") -> dict[str, Any]:
    """A generateContent body with one candidate holding `text`."""
    return {
        "candidates": [
            {
                "content": {"role": "model", "parts": [{"text": text}]},
                "finishReason": "STOP",
                "index": 0,
            }
        ],
        "usageMetadata": {"promptTokenCount": 10, "candidatesTokenCount": 10,
                          "totalTokenCount": 20},
        "modelVersion": model,
    }


class FakeGemini(FakeJSONServer):
    """Speaks POST /{version}/models/{model}:generateContent."""

    def reply(self, text: str, *, delay: float = 0.0) -> None:
        """Queue a model answer whose text part is `text`."""
        self.push(("text", text, delay))

    def reply_raw(self, body: dict[str, Any]) -> None:
        """Queue a full response body (function calls, safety blocks ...)."""
        self.push(Reply(body=body))

    def slow(self, text: str, delay: float) -> None:
        self.reply(text, delay=delay)

    def error(self, status: int = 500, message: str = "fake server error") -> None:
        body = {"error": {"code": status, "message": message, "status": "INTERNAL"}}
        self.push(Reply(body=body, status=status))

    def build_reply(self, item: Any, request: RecordedRequest) -> Reply:
        if ":generateContent" not in request.path:
            return Reply(body={"error": {"code": 404, "message": "fake: no route",
                                         "status": "NOT_FOUND"}}, status=404)
        if isinstance(item, Reply):
            return item
        _, text, delay = item
        return Reply(body=generate_content_response(text), delay=delay)
