"""Fixtures for the import core: file writers, sample data and provider fakes."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from leadreel.integrations.ai import make_provider
from tests.fakes.gemini_server import FakeGemini
from tests.fakes.openai_server import FakeOpenAI

DATA = Path(__file__).resolve().parent.parent / "data"
SAMPLE_FILES = sorted(DATA.glob("*.csv"))


@pytest.fixture
def write_file(tmp_path: Path) -> Callable[..., Path]:
    """Write text (in an encoding) or bytes to a temp file and return its path."""

    def write(content: str | bytes, name: str = "leads.csv", encoding: str = "utf-8") -> Path:
        path = tmp_path / name
        path.write_bytes(content if isinstance(content, bytes) else content.encode(encoding))
        return path

    return write


@pytest.fixture
def truth() -> Callable[[Path], dict]:
    return lambda path: json.loads(Path(f"{path}.truth.json").read_text(encoding="utf-8"))


@pytest.fixture
def fake_openai() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as fake:
        yield fake


@pytest.fixture
def fake_gemini() -> Iterator[FakeGemini]:
    with FakeGemini() as fake:
        yield fake


@pytest.fixture(params=["openai", "gemini"])
def ai(request: pytest.FixtureRequest, fake_openai: FakeOpenAI, fake_gemini: FakeGemini):
    """(provider, fake) for both real SDKs against their fakes, 1 s timeout."""
    if request.param == "openai":
        fake, base_url = fake_openai, fake_openai.base_url
    else:
        fake, base_url = fake_gemini, fake_gemini.url
    provider = make_provider(
        request.param, api_key="sk-test-SECRET", model="test-model", base_url=base_url, timeout=1.0
    )
    yield provider, fake
    provider.close()


@pytest.fixture(autouse=True)
def _fresh_ai_cache() -> Iterator[None]:
    """AI mapping answers are cached by input: each test starts with an empty cache."""
    from leadreel.services.importing.mapping_ai import clear_cache

    clear_cache()
    yield
    clear_cache()
