"""Typing aliases shared by the itertools modules (same names as aioitertools)."""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Iterable, Iterator
from typing import ParamSpec, TypeAlias, TypeVar

P = ParamSpec("P")
R = TypeVar("R")
T = TypeVar("T")
T1 = TypeVar("T1")
T2 = TypeVar("T2")
T3 = TypeVar("T3")
T4 = TypeVar("T4")
T5 = TypeVar("T5")
N = TypeVar("N", int, float)

AnyFunction: TypeAlias = Callable[..., R] | Callable[..., Awaitable[R]]
AnyIterable: TypeAlias = Iterable[T] | AsyncIterable[T]
AnyIterableIterable: TypeAlias = Iterable[AnyIterable[T]] | AsyncIterable[AnyIterable[T]]
AnyIterator: TypeAlias = Iterator[T] | AsyncIterator[T]
AnyStop = (StopIteration, StopAsyncIteration)
Accumulator: TypeAlias = Callable[[T, T], T] | Callable[[T, T], Awaitable[T]]
KeyFunction: TypeAlias = Callable[[T], R] | Callable[[T], Awaitable[R]]
Predicate: TypeAlias = Callable[[T], object] | Callable[[T], Awaitable[object]]
MaybeAwaitable: TypeAlias = T | Awaitable[T]
