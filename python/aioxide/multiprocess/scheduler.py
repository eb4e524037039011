"""Which queue a task goes to.

A pool has ``queuecount`` queues; each child serves one queue, and within a
queue the pool hands work to the child with the fewest calls in flight. The
scheduler only picks the queue. ``LeastLoaded`` (the default) picks the queue
with the least outstanding work per child; ``RoundRobin`` is aiomultiprocess'
default. A scheduler sees one ``schedule_task`` per batch of calls (one per
``apply``; ``map`` sends batches, see ``chunksize``).
"""

from __future__ import annotations

import itertools
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Iterator, Sequence
from typing import Any

from .types import Queue, QueueID, R, TaskID

__all__ = ["LeastLoaded", "RoundRobin", "Scheduler"]


class Scheduler(ABC):
    """The pluggable queue choice, with aiomultiprocess' interface."""

    @abstractmethod
    def register_queue(self, tx: Queue[Any]) -> QueueID:
        """Called once per queue the pool creates; returns its id."""

    @abstractmethod
    def register_process(self, qid: QueueID) -> None:
        """Called once per child initially assigned to queue ``qid``."""

    @abstractmethod
    def schedule_task(
        self,
        task_id: TaskID,
        func: Callable[..., Awaitable[R]],
        args: Sequence[Any],
        kwargs: dict[str, Any],
    ) -> QueueID:
        """Returns the queue the task should go to."""

    @abstractmethod
    def complete_task(self, task_id: TaskID) -> None:
        """Called when a task scheduled earlier has finished (or failed)."""


class RoundRobin(Scheduler):
    """Queues in turn, weighted by how many children each serves.

    >>> rr = RoundRobin()
    >>> a, b = rr.register_queue(object()), rr.register_queue(object())
    >>> rr.register_process(a); rr.register_process(b)
    >>> [rr.schedule_task(TaskID(i), print, (), {}) for i in range(3)] == [a, b, a]
    True
    """

    def __init__(self) -> None:
        super().__init__()
        self.qids: list[QueueID] = []
        self.next_id = itertools.count()
        self.cycler: Iterator[QueueID] = itertools.cycle([])

    def register_queue(self, tx: Queue[Any]) -> QueueID:
        return QueueID(next(self.next_id))

    def register_process(self, qid: QueueID) -> None:
        self.qids.append(qid)
        self.cycler = itertools.cycle(self.qids)

    def schedule_task(
        self,
        _task_id: TaskID,
        _func: Callable[..., Awaitable[R]],
        _args: Sequence[Any],
        _kwargs: dict[str, Any],
    ) -> QueueID:
        return next(self.cycler)

    def complete_task(self, _task_id: TaskID) -> None:
        pass


class LeastLoaded(Scheduler):
    """The queue with the fewest outstanding tasks per child serving it.

    >>> ll = LeastLoaded()
    >>> a, b = ll.register_queue(object()), ll.register_queue(object())
    >>> ll.register_process(a); ll.register_process(b)
    >>> first = ll.schedule_task(TaskID(1), print, (), {})
    >>> ll.schedule_task(TaskID(2), print, (), {}) != first
    True
    """

    def __init__(self) -> None:
        super().__init__()
        self.next_id = itertools.count()
        self.children: dict[QueueID, int] = {}
        self.outstanding: dict[QueueID, int] = {}
        self.assigned: dict[TaskID, QueueID] = {}

    def register_queue(self, tx: Queue[Any]) -> QueueID:
        qid = QueueID(next(self.next_id))
        self.children[qid] = 0
        self.outstanding[qid] = 0
        return qid

    def register_process(self, qid: QueueID) -> None:
        self.children[qid] = self.children.get(qid, 0) + 1
        self.outstanding.setdefault(qid, 0)

    def schedule_task(
        self,
        task_id: TaskID,
        _func: Callable[..., Awaitable[R]],
        _args: Sequence[Any],
        _kwargs: dict[str, Any],
    ) -> QueueID:
        if not self.children:
            raise RuntimeError("no queue has been registered with the scheduler")
        qid = min(self.children, key=lambda q: self.outstanding[q] / max(1, self.children[q]))
        self.outstanding[qid] += 1
        self.assigned[task_id] = qid
        return qid

    def complete_task(self, task_id: TaskID) -> None:
        qid = self.assigned.pop(task_id, None)
        if qid is not None:
            self.outstanding[qid] -= 1
