"""Background work as ProcessingTask rows claimed by worker processes.

``registry`` declares task types, ``queue`` holds the statements (enqueue, claim, finish,
fail, rescue), ``status`` the read models and UI actions, ``worker`` the process that runs
them. See each module's docstring for the why.
"""

from leadreel.tasks.context import TaskCancelled, TaskContext
from leadreel.tasks.queue import ClaimedTask, chain, claim, enqueue, fail, finish, rescue_stale
from leadreel.tasks.registry import (
    PRIORITY_EXPORT,
    PRIORITY_IMPORT,
    PRIORITY_RENDER,
    PRIORITY_UPLOAD,
    REGISTRY,
    TaskType,
    UnknownTaskType,
    get,
    task_type,
)
from leadreel.tasks.retry import PermanentError, RetryPolicy, TaskError, TaskTimeout

__all__ = [
    "TaskCancelled",
    "TaskContext",
    "ClaimedTask",
    "chain",
    "claim",
    "enqueue",
    "fail",
    "finish",
    "rescue_stale",
    "PRIORITY_EXPORT",
    "PRIORITY_IMPORT",
    "PRIORITY_RENDER",
    "PRIORITY_UPLOAD",
    "REGISTRY",
    "TaskType",
    "UnknownTaskType",
    "get",
    "task_type",
    "PermanentError",
    "RetryPolicy",
    "TaskError",
    "TaskTimeout",
]
