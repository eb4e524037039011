"""The pool child: one event loop serving task frames from the parent.

The calls themselves run in a :class:`~._runner.BatchRunner`; this module is
the transport around it: the channel to the parent, READY / STOP / CANCEL,
and answers leaving in one write per loop iteration.

The loop reads the channel itself (``add_reader`` on its socket): a task
frame wakes the loop directly, not a reader thread that then wakes the loop.
A loop without ``add_reader`` (a custom ``loop_initializer``'s) gets a channel
with a reader thread instead.
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
        #: Set while frames from the parent are handled: answers ready by
        #: the end leave in one write then, not an event-loop turn later.
        self.taking = False
        self.outbox: list[tuple[int, int, _wire.Payload]] = []
        self.done: asyncio.Future[None] = self.loop.create_future()

    async def serve(self, polled: bool) -> None:
        self.channel.send(_wire.READY, os.getpid(), b"")
        reader = None
        if polled:
            self.loop.add_reader(self.channel.fileno, self._on_readable)
        else:
            reader = self.loop.create_task(self._read())
        try:
            await self.done
        finally:
            if reader is None:
                self.loop.remove_reader(self.channel.fileno)
            else:
                reader.cancel()
            self.runner.cancel_all()
            self._flush()

    def _on_readable(self) -> None:
        try:
            frames = self.channel.read_ready()
        except (EOFError, ConnectionError):
            self.loop.remove_reader(self.channel.fileno)
            self._parent_gone()
            return
        if frames:
            self._take(frames)

    async def _read(self) -> None:
        try:
            while not self.done.done():
                self._take(await self.channel.recv())
        except (EOFError, ConnectionError):
            self._parent_gone()

    def _take(self, frames: list[tuple[int, int, bytes]]) -> None:
        self.taking = True
        try:
            for kind, ident, payload in frames:
                if kind == _wire.TASK:
                    self.runner.start_batch(ident, payload)
                elif kind == _wire.CANCEL:
                    self.runner.cancel_batch(ident)
                elif kind == _wire.STOP:
                    self.stopping = True
            self.runner.pump()
            self._maybe_finish()
        finally:
            self.taking = False
            self._flush()

    def _parent_gone(self) -> None:
        # Nobody can receive results any more.
        if not self.done.done():
            self.done.set_result(None)

    def _maybe_finish(self) -> None:
        if self.stopping and not self.runner.batches and not self.done.done():
            self.done.set_result(None)

    def _reply(self, ident: int, payload: _wire.Payload) -> None:
        if not self.outbox and not self.taking:
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


def _watches_sockets(loop: asyncio.AbstractEventLoop, sock: socket.socket) -> bool:
    """Whether ``loop`` can call back when a socket turns readable."""
    try:
        loop.add_reader(sock.fileno(), _nothing)
    except NotImplementedError:
        return False
    loop.remove_reader(sock.fileno())
    return True


def _nothing() -> None:
    pass


def _send_init_failure(channel: Channel, exc: BaseException) -> None:
    with contextlib.suppress(Exception):
        channel.send(_wire.INIT_FAILED, os.getpid(), _wire.dumps(_wire.pack_exception(exc)))


def main(sock: socket.socket, options: ChildOptions) -> None:
    """Entry point of a pool child process."""
    # Ctrl-C reaches the whole process group: the parent decides what
    # happens to its children, so they ignore it.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    name = f"aioxide-child-{os.getpid()}"
    channel: Channel | None = None
    try:
        if options.loop_initializer is not None:
            loop = options.loop_initializer()
        else:
            loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        polled = _watches_sockets(loop, sock)
        channel = Channel(sock.fileno(), name, polled=polled)
        if options.initializer is not None:
            options.initializer(*options.initargs)
    except BaseException as exc:
        if channel is None:
            channel = Channel(sock.fileno(), name)
        _send_init_failure(channel, exc)
        channel.flush(10.0)
        channel.close()
        raise SystemExit(3) from None
    finally:
        sock.close()  # the channel holds its own duplicate

    served = channel

    async def serve() -> None:
        await ChildRunner(served, options).serve(polled)

    try:
        loop.run_until_complete(serve())
    finally:
        served.flush(10.0)
        served.close()
        close_loop(loop)
