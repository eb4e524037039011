"""The asyncio bridge: how results travel from Rust threads to event loops.

Every aioxide operation returns a :class:`Completion`. Worker threads finish
operations without the GIL; each event loop has one completion port that is
woken once per batch and resolves every finished operation in one pass.

>>> import asyncio
>>> from aioxide.bridge import EchoWorker
>>> async def main() -> int:
...     worker = EchoWorker()
...     try:
...         return await worker.submit(42)
...     finally:
...         worker.close()
>>> asyncio.run(main())
42
"""

from ._core import Completion, EchoWorker, port_counts, release_closed_loops

__all__ = ["Completion", "EchoWorker", "port_counts", "release_closed_loops"]
