"""The typing sample (checked by mypy --strict in make lint) also runs correctly."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent / "typing"))

import sample_itertools


def test_sample_program_runs() -> None:
    out = asyncio.run(sample_itertools.main())
    assert out["map"] == [0, 2, 4, 6, 8]
    assert sorted(out["map_limit"]) == [0, 2, 4, 6, 8]  # type: ignore[call-overload]
    assert out["gather"] == [2, 4]
    assert out["gather_iter"] == [6, 4]
    assert out["maybe_await"] == 42
    assert sorted(out["merge"]) == [0, 1, 9]  # type: ignore[call-overload]


def test_multiprocess_sample_runs() -> None:
    import sample_multiprocess

    out = asyncio.run(sample_multiprocess.main())
    assert out == {
        "apply": 42,
        "map": [0, 2, 4, 6, 8],
        "starmap": ["a1", "b2"],
        "async_for": [0, 2, 4],
        "imap_unordered": [0, 2, 4, 6],
        "map_reduce": 90,
        "error": "TypeError",
        "worker": 8,
    }


def test_sql_sample_runs() -> None:
    import sample_sql

    out = asyncio.run(sample_sql.main())
    assert out == {
        "sql": 'SELECT ALL "typed_items"."id", "typed_items"."name", "typed_items"."price" '
        'FROM "typed_items" WHERE ("typed_items"."price" > $1) ORDER BY "typed_items"."name" ASC',
        "params": [1.0],
        "names": ["pen"],
        "count": 2,
    }
