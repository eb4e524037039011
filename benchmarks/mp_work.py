"""Work functions for the multiprocess benchmarks (importable by children)."""

from __future__ import annotations

import asyncio


async def double(x: int) -> int:
    return x * 2


def double_sync(x: int) -> int:
    return x * 2


async def nap(x: int) -> int:
    await asyncio.sleep(0.01)
    return x


async def nothing() -> None:
    return None


def nothing_sync() -> None:
    return None


def pid_after_sync(delay: float) -> int:
    """Busy for ``delay`` seconds, then this process's pid: a batch of these
    reaches every worker, which is how the warm-up knows all are running."""
    import os
    import time

    time.sleep(delay)
    return os.getpid()


async def pid_after(delay: float) -> int:
    import os

    await asyncio.sleep(delay)
    return os.getpid()


async def echo(data: bytes) -> bytes:
    return data


def echo_sync(data: bytes) -> bytes:
    return data


def echo_bytes_on_a_loop(sock: object) -> None:
    """The raw baseline of an apply: an asyncio loop in a child process that
    sends back every byte it reads from ``sock`` (a socket), woken by
    ``add_reader`` as a pool child is. Ends when the parent closes its end."""
    import socket

    assert isinstance(sock, socket.socket)
    sock.setblocking(False)

    async def serve() -> None:
        loop = asyncio.get_running_loop()
        done = loop.create_future()

        def readable() -> None:
            data = sock.recv(4096)
            if not data:
                loop.remove_reader(sock.fileno())
                done.set_result(None)
                return
            sock.send(data)

        loop.add_reader(sock.fileno(), readable)
        await done

    asyncio.run(serve())
