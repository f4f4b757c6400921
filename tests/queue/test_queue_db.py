"""The queue's statements against real SQLite and PostgreSQL, with the clock pinned."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from leadreel.models import ProcessingTask
from leadreel.tasks import chain, claim, enqueue, fail, finish, rescue_stale
from leadreel.tasks import queue as q
from leadreel.tasks import status as st
from tests.queue import handlers  # noqa: F401 - registers the test_* types

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def add(engine: Engine, type_: str = "test_noop", **kwargs: object) -> int:
    with Session(engine) as session:
        task = enqueue(session, type_, {"n": 1}, now=kwargs.pop("now", T0), **kwargs)  # type: ignore[arg-type]
        session.commit()
        assert task is not None
        return task.id


def row(engine: Engine, task_id: int) -> ProcessingTask:
    with Session(engine) as session:
        task = session.get(ProcessingTask, task_id)
        assert task is not None
        session.expunge(task)
        return task


def live_worker(engine: Engine, worker_id: str, now: datetime = T0) -> None:
    q.register_worker(engine, worker_id, hostname="h", pid=1, types=[], concurrency=1, now=now)


def test_claim_takes_due_tasks_by_priority_then_id(engine: Engine) -> None:
    low = add(engine, priority=90)
    first = add(engine, priority=10)
    second = add(engine, priority=10)
    add(engine, priority=1, run_after=T0 + timedelta(minutes=5))  # not due yet
    add(engine, "test_slow", priority=0)  # a type this worker does not take
    got = claim(engine, "w1", ["test_noop"], now=T0, limit=3)
    assert [t.id for t in got] == [first, second, low]
    assert all(t.attempt == 1 and t.worker_id == "w1" for t in got)
    assert claim(engine, "w1", ["test_noop"], now=T0) == []
    assert len(claim(engine, "w1", ["test_noop"], now=T0 + timedelta(minutes=5))) == 1
    assert row(engine, first).status == "running"


def test_finish_only_while_owned_and_creates_the_chained_task(engine: Engine) -> None:
    live_worker(engine, "w1")
    task_id = add(
        engine, "test_step", lead_id=None, next_task=chain(("test_step2", {"name": "render"}))
    )
    (lease,) = claim(engine, "w1", ["test_step"], now=T0)
    stolen = q.ClaimedTask(**{**lease.__dict__, "worker_id": "w2"})
    assert not finish(engine, stolen, {"x": 1}, now=T0)
    assert finish(engine, lease, {"x": 1}, now=T0)
    assert not finish(engine, lease, {"x": 2}, now=T0)  # twice: the second is refused
    done = row(engine, task_id)
    assert (done.status, done.result, done.progress) == ("succeeded", {"x": 1}, 1.0)
    (nxt,) = claim(engine, "w1", ["test_step2"], now=T0)
    assert nxt.payload == {"name": "render"}


def test_raised_priority_is_carried_down_the_chain(engine: Engine) -> None:
    add(engine, "test_step", priority=5, next_task=chain(("test_step2", {})))  # default 20
    (lease,) = claim(engine, "w1", ["test_step"], now=T0)
    assert finish(engine, lease, now=T0)
    (nxt,) = claim(engine, "w1", ["test_step2"], now=T0)
    assert nxt.priority == 30 - 15


def test_fail_backs_off_then_fails_with_every_error_kept(engine: Engine) -> None:
    task_id = add(engine, "test_flaky")  # max_attempts=3
    policy = handlers.FAST_RETRY
    now = T0
    for attempt in (1, 2, 3):
        (lease,) = claim(engine, "w1", ["test_flaky"], now=now)
        assert lease.attempt == attempt
        status = fail(
            engine,
            lease,
            f"ConnectionError: try {attempt}",
            policy=policy,
            now=now,
            rng=random.Random(1),
        )
        assert status == ("failed" if attempt == 3 else "pending")
        if status == "pending":
            assert claim(engine, "w1", ["test_flaky"], now=now) == []  # backing off
            now = q.as_utc(row(engine, task_id).run_after)
    failed = row(engine, task_id)
    assert failed.status == "failed" and failed.last_error == "ConnectionError: try 3"
    assert [e["attempt"] for e in failed.errors] == [1, 2, 3]
    assert fail(engine, lease, "late", now=now) is None  # lease gone


def test_permanent_error_fails_at_once_and_stops_the_chain(engine: Engine) -> None:
    task_id = add(
        engine, "test_step", lead_id=None, next_task=chain(("test_step2", {}), ("test_noop", {}))
    )
    (lease,) = claim(engine, "w1", ["test_step"], now=T0)
    assert fail(engine, lease, "PermanentError: no screenshot", permanent=True, now=T0) == "failed"
    failed = row(engine, task_id)
    assert failed.result == {"chain_stopped": ["test_step2", "test_noop"]}
    assert claim(engine, "w1", ["test_step2", "test_noop"], now=T0) == []


def test_dedupe_returns_the_active_task_unless_forced(engine: Engine) -> None:
    with Session(engine) as session:
        first = enqueue(session, "test_noop", {}, dedupe_key="lead:7")
        again = enqueue(session, "test_noop", {}, dedupe_key="lead:7")
        session.commit()
        assert first is not None and first is again
        first_id = first.id
    with Session(engine) as session:
        same = enqueue(session, "test_noop", {}, dedupe_key="lead:7")
        forced = enqueue(session, "test_noop", {}, dedupe_key="lead:7", force=True)
        other = enqueue(session, "test_slow", {}, dedupe_key="lead:7")  # another type
        session.commit()
        assert same is not None and forced is not None and other is not None
        assert same.id == first_id and forced.id != first_id and other.id != first_id
        forced_id = forced.id
    (lease,) = claim(engine, "w1", ["test_noop"])
    assert finish(engine, lease)
    with Session(engine) as session:  # once finished, the same subject can be queued again
        fresh = enqueue(session, "test_noop", {}, dedupe_key="lead:7")
        session.commit()
        assert fresh is not None and fresh.id not in (first_id, forced_id)


def test_concurrent_enqueues_of_one_subject_make_one_task(engine: Engine) -> None:
    one, two = Session(engine), Session(engine)
    try:
        a = enqueue(one, "test_noop", {}, dedupe_key="lead:9")
        one.commit()
        b = enqueue(two, "test_noop", {}, dedupe_key="lead:9")
        two.commit()
        assert a is not None and b is not None and a.id == b.id
    finally:
        one.close()
        two.close()


def test_rescue_retries_tasks_of_silent_workers_and_fails_exhausted_ones(engine: Engine) -> None:
    live_worker(engine, "alive")
    live_worker(engine, "dead")
    retried = add(engine, "test_flaky")
    exhausted = add(engine, "test_sleep_process")  # max_attempts=1
    kept = add(engine, "test_noop")
    claim(engine, "dead", ["test_flaky", "test_sleep_process"], now=T0, limit=2)
    claim(engine, "alive", ["test_noop"], now=T0)
    later = T0 + timedelta(seconds=40)
    q.heartbeat(engine, "alive", now=later)
    assert sorted(rescue_stale(engine, now=later, stale_after=30)) == sorted([retried, exhausted])
    assert row(engine, retried).status == "pending"
    assert "worker dead stopped heartbeating" in (row(engine, retried).last_error or "")
    gone = row(engine, exhausted)
    assert gone.status == "failed" and "attempts exhausted" in (gone.last_error or "")
    assert row(engine, kept).status == "running"
    assert rescue_stale(engine, now=later, stale_after=30) == []


def test_release_returns_the_attempt_and_progress_needs_the_lease(engine: Engine) -> None:
    task_id = add(engine)
    (lease,) = claim(engine, "w1", ["test_noop"], now=T0)
    assert q.set_progress(engine, lease, 1.7) and row(engine, task_id).progress == 1.0
    assert q.release(engine, lease, now=T0)
    released = row(engine, task_id)
    assert (released.status, released.attempts, released.worker_id) == ("pending", 0, None)
    assert not q.set_progress(engine, lease, 0.5)


def test_cancel_retry_counts_and_progress_for_the_ui(engine: Engine) -> None:
    ids = [add(engine, "test_step", batch_id=None, lead_id=None) for _ in range(3)]
    (lease,) = claim(engine, "w1", ["test_step"], now=T0)
    with Session(engine) as session:
        assert st.cancel(session, ids[1]) and not st.cancel(session, ids[1])
        session.commit()
    assert not finish(engine, lease) or lease.id != ids[1]
    fail(engine, claim(engine, "w1", ["test_step"], now=T0)[0], "boom", permanent=True)
    with Session(engine) as session:
        counts = st.counts_by_type_status(session)
        assert counts["test_step"]["cancelled"] == 1 and counts["test_step"]["failed"] == 1
        assert [t.last_error for t in st.recent_failures(session)] == ["boom"]
        assert st.retry(session, ids[1]) and not st.retry(session, ids[0])
        session.commit()
    assert row(engine, ids[1]).status == "pending" and row(engine, ids[1]).attempts == 0


def test_batch_and_lead_progress(engine: Engine) -> None:
    from leadreel.models import ImportBatch, Lead

    with Session(engine) as session:
        batch = ImportBatch(name="b", filename="f.csv", stored_path="/x")
        session.add(batch)
        session.flush()
        leads = [Lead(first_name=f"L{i}", batch_id=batch.id) for i in range(2)]
        session.add_all(leads)
        session.flush()
        for lead in leads:
            enqueue(
                session,
                "test_step",
                {},
                lead_id=lead.id,
                batch_id=batch.id,
                next_task=chain(("test_step2", {})),
            )
        session.commit()
        batch_id, lead_ids = batch.id, [lead.id for lead in leads]
    a, b = claim(engine, "w1", ["test_step"], limit=2)
    q.set_progress(engine, b, 0.5)
    assert finish(engine, a)
    with Session(engine) as session:
        assert st.set_batch_priority(session, batch_id, 1) == 1  # the chained step is pending
        session.commit()
        progress = st.batch_progress(session, batch_id)
        assert progress["total"] == 3 and progress["by_status"]["running"] == 1
        assert progress["progress"] == round(1.5 / 3, 4)
    fail(engine, b, "PermanentError: no screenshot\ntraceback...", permanent=True)
    with Session(engine) as session:
        by_lead = st.lead_progress(session, lead_ids)
    assert by_lead[a.lead_id]["type"] == "test_step2" and by_lead[a.lead_id]["status"] == "pending"  # type: ignore[index]
    assert by_lead[b.lead_id] == {  # type: ignore[index]
        "task_id": b.id,
        "type": "test_step",
        "status": "failed",
        "progress": 0.5,
        "error": "PermanentError: no screenshot",
        "chain_stopped": ["test_step2"],
    }


def test_claim_uses_the_partial_index(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        return  # PostgreSQL's plan is checked in test_concurrency
    with engine.connect() as conn:
        plan = conn.exec_driver_sql(
            "EXPLAIN QUERY PLAN SELECT id FROM processing_tasks WHERE status = 'pending' "
            "AND run_after <= '2030-01-01' AND type IN ('a') ORDER BY priority, id LIMIT 1"
        ).all()
    assert "ix_tasks_claim" in " ".join(str(r) for r in plan)
    assert select  # keep the import used for readers extending these tests
