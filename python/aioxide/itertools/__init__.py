"""aioxide.itertools: itertools, builtins and concurrency helpers for asyncio
over sync and async iterables, a drop-in for aioitertools.

>>> import asyncio
>>> from aioxide import itertools as ait
>>> async def main():
...     squares = ait.map(lambda x: x * x, range(10))
...     return await ait.list(ait.islice(ait.filterfalse(lambda x: x % 2, squares), 3))
>>> asyncio.run(main())
[0, 4, 16]
"""

from .. import __version__
from . import asyncio, helpers, itertools, types
from .builtins import all, any, enumerate, iter, list, map, max, min, next, set, sum, tuple, zip
from .itertools import (
    accumulate,
    batched,
    chain,
    combinations,
    combinations_with_replacement,
    compress,
    count,
    cycle,
    dropwhile,
    filterfalse,
    groupby,
    islice,
    permutations,
    product,
    repeat,
    starmap,
    takewhile,
    tee,
    zip_longest,
)

__all__ = [
    "__version__",
    "accumulate",
    "all",
    "any",
    "asyncio",
    "batched",
    "chain",
    "combinations",
    "combinations_with_replacement",
    "compress",
    "count",
    "cycle",
    "dropwhile",
    "enumerate",
    "filterfalse",
    "groupby",
    "helpers",
    "islice",
    "iter",
    "itertools",
    "list",
    "map",
    "max",
    "min",
    "next",
    "permutations",
    "product",
    "repeat",
    "set",
    "starmap",
    "sum",
    "takewhile",
    "tee",
    "tuple",
    "types",
    "zip",
    "zip_longest",
]
