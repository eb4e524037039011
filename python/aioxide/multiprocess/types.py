"""Type aliases and the exception classes shared by the pool and processes.

The names match ``aiomultiprocess.types``; ``PoolResult`` here is the raw
result tuple alias, as upstream (the class lives in :mod:`.pool`).
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.context
from asyncio import AbstractEventLoop
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple, NewType, TypeVar

__all__ = [
    "ClusterLost",
    "ClusterUnavailable",
    "Context",
    "LoopInitializer",
    "PoolBroken",
    "PoolResult",
    "PoolTask",
    "PoolTerminated",
    "ProxyException",
    "Queue",
    "QueueID",
    "R",
    "RemoteError",
    "RemoteTraceback",
    "T",
    "TaskID",
    "TracebackStr",
    "Unit",
    "WorkerCrashed",
]

T = TypeVar("T")
R = TypeVar("R")

Context = multiprocessing.context.BaseContext
Queue = multiprocessing.Queue

TaskID = NewType("TaskID", int)
QueueID = NewType("QueueID", int)

TracebackStr = str

LoopInitializer = Callable[..., AbstractEventLoop]
PoolTask = tuple[TaskID, Callable[..., Any], Sequence[Any], dict[str, Any]] | None
PoolResult = tuple[TaskID, Any | None, TracebackStr | None]


class Unit(NamedTuple):
    """What a :class:`~aioxide.multiprocess.Process` runs in its child."""

    target: Callable[..., Any]
    args: Sequence[Any]
    kwargs: dict[str, Any]
    namespace: Any
    initializer: Callable[..., Any] | None = None
    initargs: Sequence[Any] = ()
    loop_initializer: LoopInitializer | None = None
    runner: Callable[..., Any] | None = None


class ProxyException(Exception):
    """Base of every exception raised in a child and re-raised in the parent.

    An exception that reaches the parent keeps its type *and* is a
    ``ProxyException``: a ``ValueError`` raised in a child is caught by both
    ``except ValueError`` and ``except ProxyException``. Its ``__cause__`` is a
    :class:`RemoteTraceback` holding the child's formatted traceback.
    """


class RemoteTraceback(Exception):
    """Carries the child's traceback text; shown as the cause of a re-raised
    child exception."""

    def __init__(self, tb: str) -> None:
        super().__init__(tb)
        self.tb = tb

    def __str__(self) -> str:
        return "\n\n" + self.tb.rstrip("\n")


class RemoteError(ProxyException):
    """A child raised an exception that could not be sent back as itself
    (it could not be pickled or unpickled); its type name, message and
    traceback are kept."""


class WorkerCrashed(RuntimeError):
    """The child process running a task died before finishing it (killed,
    crashed, or exited). The pool replaced the child; only the tasks that
    were running on it fail with this error."""


class PoolTerminated(RuntimeError):
    """The pool was terminated before this task finished."""


class PoolBroken(RuntimeError):
    """The pool cannot start child processes (for example its initializer
    raises in every child), so it cannot run anything."""


class ClusterUnavailable(ImportError):
    """The cluster backend was asked for, but Dask distributed is not
    installed (``pip install 'aioxide[cluster]'``)."""


class ClusterLost(ConnectionError):
    """The Dask scheduler cannot be reached (or the connection to it broke)
    while a call was pending."""
