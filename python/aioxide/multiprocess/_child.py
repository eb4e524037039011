"""The pool child: one event loop serving task frames from the parent.

The calls themselves run in a :class:`~._runner.BatchRunner`; this module is
the transport around it: the channel to the parent, READY / STOP / CANCEL,
and answers leaving in one write per loop iteration.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket

from .._core import Channel
from . import _wire
from ._loop_exit import close_loop
from ._runner import BatchRunner, ChildOptions

__all__ = ["ChildOptions", "ChildRunner", "main"]


class ChildRunner:
    """Serves one channel on the running loop until told to stop."""

    def __init__(self, channel: Channel, options: ChildOptions) -> None:
        self.channel = channel
        self.loop = asyncio.get_running_loop()
        self.runner = BatchRunner(options, self._reply, self._maybe_finish)
        self.stopping = False
        self.outbox: list[tuple[int, int, bytes]] = []
        self.done: asyncio.Future[None] = self.loop.create_future()

    async def serve(self) -> None:
        self.channel.send(_wire.READY, os.getpid(), b"")
        reader = self.loop.create_task(self._read())
        try:
            await self.done
        finally:
            reader.cancel()
            self.runner.cancel_all()
            self._flush()

    async def _read(self) -> None:
        try:
            while not self.done.done():
                for kind, ident, payload in await self.channel.recv():
                    if kind == _wire.TASK:
                        self.runner.start_batch(ident, payload)
                    elif kind == _wire.CANCEL:
                        self.runner.cancel_batch(ident)
                    elif kind == _wire.STOP:
                        self.stopping = True
                self.runner.pump()
                self._maybe_finish()
        except (EOFError, ConnectionError):
            # The parent is gone: nobody can receive results any more.
            if not self.done.done():
                self.done.set_result(None)

    def _maybe_finish(self) -> None:
        if self.stopping and not self.runner.batches and not self.done.done():
            self.done.set_result(None)

    def _reply(self, ident: int, payload: bytes) -> None:
        if not self.outbox:
            self.loop.call_soon(self._flush)
        self.outbox.append((_wire.RESULT, ident, payload))

    def _flush(self) -> None:
        if not self.outbox:
            return
        frames, self.outbox = self.outbox, []
        try:
            self.channel.send_many(frames)
        except (BrokenPipeError, ConnectionError):
            if not self.done.done():
                self.done.set_result(None)


def _send_init_failure(channel: Channel, exc: BaseException) -> None:
    with contextlib.suppress(Exception):
        channel.send(_wire.INIT_FAILED, os.getpid(), _wire.dumps(_wire.pack_exception(exc)))


def main(sock: socket.socket, options: ChildOptions) -> None:
    """Entry point of a pool child process."""
    # Ctrl-C reaches the whole process group: the parent decides what
    # happens to its children, so they ignore it.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    channel = Channel(sock.fileno(), f"aioxide-child-{os.getpid()}")
    sock.close()
    try:
        if options.loop_initializer is not None:
            loop = options.loop_initializer()
        else:
            loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        if options.initializer is not None:
            options.initializer(*options.initargs)
    except BaseException as exc:
        _send_init_failure(channel, exc)
        channel.flush(10.0)
        channel.close()
        raise SystemExit(3) from None

    async def serve() -> None:
        await ChildRunner(channel, options).serve()

    try:
        loop.run_until_complete(serve())
    finally:
        channel.flush(10.0)
        channel.close()
        close_loop(loop)
