"""Task types, registered by name with their handler and defaults.

Why a registry: a task row names its type as a string, so a worker looks the handler
up by that name; priority, attempts, timeout and the retry policy are decided once,
where the type is declared, not at every ``enqueue``. Feature modules declare their
types (``import_csv`` with the importer, ``render_video`` with the videos); the queue
itself declares none.

Priorities: lower runs first. Imports come before screenshots and renders, which
come before uploads and exports; a user may raise a batch (see ``queue.set_batch_priority``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from leadreel.tasks.retry import DEFAULT_POLICY, PermanentError, RetryPolicy

if TYPE_CHECKING:
    from leadreel.tasks.context import TaskContext

Handler = Callable[["TaskContext"], "dict[str, Any] | None"]

PRIORITY_IMPORT = 10
PRIORITY_RENDER = 20
PRIORITY_UPLOAD = 30
PRIORITY_EXPORT = 40


class UnknownTaskType(KeyError):
    """No handler is registered under this name in this process."""


@dataclass(frozen=True, kw_only=True)
class TaskType:
    """One kind of background work. ``timeout`` is the hard limit in seconds per attempt."""

    name: str
    handler: Handler
    priority: int
    max_attempts: int = 3
    timeout: float = 600.0
    retry: RetryPolicy = DEFAULT_POLICY

    def __post_init__(self) -> None:
        if not self.name or len(self.name) > 50:
            raise ValueError(f"task type name must be 1-50 characters, got {self.name!r}")
        if self.max_attempts < 1:
            raise ValueError(
                f"max_attempts must be >= 1 for {self.name!r}, got {self.max_attempts!r}"
            )
        if self.timeout <= 0:
            raise ValueError(f"timeout must be > 0 for {self.name!r}, got {self.timeout!r}")


@dataclass
class Registry:
    """Name -> TaskType. The module-level ``REGISTRY`` is the one the product uses."""

    types: dict[str, TaskType] = field(default_factory=dict)

    def register(self, task: TaskType, *, replace: bool = False) -> TaskType:
        if (
            task.name in self.types
            and not replace
            and self.types[task.name].handler is not task.handler
        ):
            raise ValueError(f"task type {task.name!r} is already registered")
        self.types[task.name] = task
        return task

    def get(self, name: str) -> TaskType:
        try:
            return self.types[name]
        except KeyError:
            raise UnknownTaskType(name) from None

    def names(self) -> list[str]:
        return sorted(self.types)

    def unregister(self, name: str) -> None:
        self.types.pop(name, None)


REGISTRY = Registry()


def task_type(
    name: str,
    *,
    priority: int,
    max_attempts: int = 3,
    timeout: float = 600.0,
    retry: RetryPolicy | None = None,
    permanent_errors: tuple[type[BaseException], ...] = (),
    registry: Registry | None = None,
) -> Callable[[Handler], Handler]:
    """Register the decorated function as the handler of task type ``name``.

    ``permanent_errors`` adds exception classes that fail at once (e.g. ``UnicodeDecodeError``
    for an import) to those of the policy.
    """
    policy = retry or DEFAULT_POLICY
    if permanent_errors:
        policy = RetryPolicy(
            base=policy.base,
            cap=policy.cap,
            jitter=policy.jitter,
            retry_on=policy.retry_on,
            permanent=tuple({*policy.permanent, *permanent_errors, PermanentError}),
        )

    def decorate(handler: Handler) -> Handler:
        (registry or REGISTRY).register(
            TaskType(
                name=name,
                handler=handler,
                priority=priority,
                max_attempts=max_attempts,
                timeout=timeout,
                retry=policy,
            )
        )
        return handler

    return decorate


def get(name: str) -> TaskType:
    """The registered type called ``name``; raises ``UnknownTaskType``."""
    return REGISTRY.get(name)


#: Modules that declare the product's task types; imported by ``run_worker``.
PRODUCT_TASK_MODULES = (
    "leadreel.services.importing.tasks",
    "leadreel.services.enrich_tasks",
    "leadreel.services.videos.tasks",
    "leadreel.services.delivery.upload_task",
    "leadreel.services.exports.tasks",
    "leadreel.services.leads.bulk",
    "leadreel.tasks.handlers",
)


def load_task_modules(extra: tuple[str, ...] | list[str] = ()) -> None:
    """Import the modules that register task types (those that exist) and any ``extra`` ones."""
    import importlib
    import importlib.util

    for name in PRODUCT_TASK_MODULES:
        if importlib.util.find_spec(name) is not None:
            importlib.import_module(name)
    for name in extra:
        importlib.import_module(name)
