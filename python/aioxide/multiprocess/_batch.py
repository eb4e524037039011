"""A batch: calls to one function that travel to a child together, and the
future their outcome arrives on. Shared by the pool and its backends."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from . import _wire
from .types import ProxyException, QueueID, TaskID

Call = tuple[tuple[Any, ...], "dict[str, Any] | None"]


@dataclass
class BatchOutcome:
    """What a finished batch produced: per-call values and errors (by index),
    or one reduced value for a map-reduce batch."""

    values: list[Any] = field(default_factory=list)
    errors: dict[int, BaseException] = field(default_factory=dict)
    reduced: Any = None

    def first_error(self) -> BaseException | None:
        return self.errors[min(self.errors)] if self.errors else None

    def items(self) -> Iterator[Any]:
        """The values in order, raising the error of the first failed call."""
        for index, value in enumerate(self.values):
            if index in self.errors:
                raise self.errors[index]
            yield value


@dataclass(eq=False)
class Batch:
    ident: int
    func: Callable[..., Any]
    calls: list[Call]
    reducer: Callable[[Any, Any], Any] | None
    payload: _wire.Payload
    future: asyncio.Future[BatchOutcome]
    task_id: TaskID
    queue: QueueID
    #: The backend's handle on where the batch runs (a child), once sent.
    runner: Any = None
    #: ``calls`` holds each call's one positional argument (map), not
    #: ``(args, kwargs)`` pairs.
    single: bool = False

    @property
    def size(self) -> int:
        return len(self.calls)

    def describe(self) -> str:
        if not self.calls:
            first: tuple[Any, ...] = ()
        else:
            first = (self.calls[0],) if self.single else tuple(self.calls[0][0])
        text = _wire.describe_call(self.func, first)
        if self.size > 1:
            text += f" and {self.size - 1} more call{'s' if self.size > 2 else ''}"
        return text

    def fail(self, exc: BaseException) -> None:
        if not self.future.done():
            self.future.set_exception(exc)

    def finish(self, outcome: BatchOutcome) -> None:
        if not self.future.done():
            self.future.set_result(outcome)

    def deliver(self, payload: bytes) -> None:
        """Finishes the batch with a RESULT payload from where it ran; a
        payload that cannot be decoded fails this batch alone."""
        if self.future.done():  # its caller gave up on it
            return
        try:
            outcome = decode_outcome(payload)
        except ProxyException as exc:  # the batch failed where it ran
            self.fail(exc)
            return
        except Exception as exc:
            failure = RuntimeError(
                f"the result of {self.describe()} could not be unpickled in the parent: {exc!r}"
            )
            failure.__cause__ = exc
            self.fail(failure)
            return
        self.finish(outcome)


def decode_outcome(payload: bytes) -> BatchOutcome:
    """Turns a child's RESULT payload into an outcome; raises the batch-wide
    error (the child could not run the batch at all) instead."""
    message = _wire.loads(payload)
    kind = message[0]
    if kind == "values":
        _, values, errors = message
        return BatchOutcome(values, {i: _wire.unpack_exception(p) for i, p in errors.items()})
    if kind == "reduced":
        return BatchOutcome(reduced=message[1])
    if kind == "failed":
        raise _wire.unpack_exception(message[1])
    raise RuntimeError(f"unknown result kind {kind!r} from a pool child")
