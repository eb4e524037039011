"""How a child's event loop ends: quietly, with its leftover tasks cancelled.

A target may leave tasks running when it returns (a background refresher, a
fire-and-forget write). aiomultiprocess never closes a child's loop, so they
vanish silently when the process exits; closing the loop with them pending
made Python print "Task was destroyed but it is pending!" from every child.
Here the loop ends as ``asyncio.run`` ends one: each leftover task is
cancelled and given ``LEFTOVER_GRACE`` seconds to run its ``finally`` blocks
and ``except CancelledError`` handlers, async generators are finalised, and
the loop is closed. A task still running after the grace is dropped without
a message, as with aiomultiprocess; exceptions raised by leftover tasks are
not printed either.
"""

from __future__ import annotations

import asyncio

#: Seconds leftover tasks get to finish after being cancelled.
LEFTOVER_GRACE = 1.0


def close_loop(loop: asyncio.AbstractEventLoop, grace: float = LEFTOVER_GRACE) -> None:
    """Cancel the loop's leftover tasks, let them finish briefly, close it.

    >>> loop = asyncio.new_event_loop()
    >>> task = loop.create_task(asyncio.sleep(3600))
    >>> close_loop(loop)
    >>> task.cancelled(), loop.is_closed()
    (True, True)
    """
    try:
        leftovers = asyncio.all_tasks(loop)
        for task in leftovers:
            task.cancel()
        if leftovers:
            loop.run_until_complete(asyncio.wait(leftovers, timeout=grace))
        for task in leftovers:
            if not task.done():
                # asyncio's own switch for "this pending task is expected".
                task._log_destroy_pending = False  # type: ignore[attr-defined]
            elif not task.cancelled():
                task.exception()  # retrieved: no "never retrieved" message
        loop.run_until_complete(loop.shutdown_asyncgens())
    finally:
        loop.close()
