"""Pure unit tests of the retry policy, the registry and chain specs (no database)."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest

from leadreel.tasks import PermanentError, RetryPolicy
from leadreel.tasks.queue import chain, chain_types
from leadreel.tasks.registry import Registry, TaskType, UnknownTaskType, task_type


def test_backoff_grows_exponentially_and_is_capped() -> None:
    policy = RetryPolicy(base=2, cap=60, jitter=0)
    assert [policy.delay(n).total_seconds() for n in (1, 2, 3, 4, 5, 6, 7)] == [
        2,
        4,
        8,
        16,
        32,
        60,
        60,
    ]
    assert policy.delay(500) == timedelta(seconds=60)  # no overflow on absurd attempts


def test_jitter_stays_within_its_fraction_and_varies() -> None:
    policy = RetryPolicy(base=10, cap=100, jitter=0.5)
    rng = random.Random(7)
    delays = [policy.delay(1, rng).total_seconds() for _ in range(200)]
    assert all(5 <= d <= 10 for d in delays)
    assert len({round(d, 3) for d in delays}) > 100


def test_permanent_errors_never_retry_and_attempts_run_out() -> None:
    policy = RetryPolicy(retry_on=(ConnectionError, TimeoutError))
    assert policy.should_retry(ConnectionError(), attempt=1, max_attempts=3)
    assert not policy.should_retry(ConnectionError(), attempt=3, max_attempts=3)
    assert not policy.should_retry(PermanentError("bad csv"), attempt=1, max_attempts=3)
    assert not policy.should_retry(ValueError("not in retry_on"), attempt=1, max_attempts=3)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"base": -1}, "base"), ({"cap": 1, "base": 2}, "cap"), ({"jitter": 1.5}, "jitter")],
)
def test_policy_rejects_bad_values_by_name(kwargs: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        RetryPolicy(**kwargs)


def test_registry_declares_types_with_defaults_and_rejects_duplicates() -> None:
    reg = Registry()

    @task_type(
        "render_x",
        priority=20,
        max_attempts=2,
        timeout=5,
        permanent_errors=(UnicodeDecodeError,),
        registry=reg,
    )
    def render(ctx):  # type: ignore[no-untyped-def]
        return None

    declared = reg.get("render_x")
    assert (declared.priority, declared.max_attempts, declared.timeout) == (20, 2, 5)
    assert declared.retry.is_permanent(UnicodeDecodeError("utf-8", b"", 0, 1, "x"))
    assert declared.retry.is_permanent(PermanentError())
    assert not declared.retry.is_permanent(OSError())
    with pytest.raises(ValueError, match="already registered"):
        reg.register(TaskType(name="render_x", handler=lambda ctx: None, priority=1))
    with pytest.raises(UnknownTaskType):
        reg.get("nope")
    with pytest.raises(ValueError, match="max_attempts"):
        TaskType(name="t", handler=lambda ctx: None, priority=1, max_attempts=0)


def test_chain_nests_steps_in_order() -> None:
    spec = chain(("screenshot", {"lead": 1}), ("render_video", {}), ("upload", {"to": "drive"}))
    assert chain_types(spec) == ["screenshot", "render_video", "upload"]
    assert spec is not None and spec["next"]["next"]["payload"] == {"to": "drive"}
    assert chain() is None
