"""The monitored fleet: small HTTP servers on loopback, run on a thread of
their own. What each path answers (status, delay) follows from its number,
so the results can be checked against the plan afterwards."""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, field

#: Client timeout the probes use; "hanging" paths answer only after it.
PROBE_TIMEOUT = 1.0
_REASONS = {200: "OK", 404: "Not Found", 500: "Internal Server Error", 503: "Service Unavailable"}


def expected_outcome(n: int) -> tuple[int | None, str | None]:
    """``(status, error)`` a probe of path ``n`` must record.

    >>> expected_outcome(1), expected_outcome(211)
    ((200, None), (None, 'timeout'))
    """
    if n % 211 == 0 and n:
        return None, "timeout"
    if n % 53 == 0:
        return 500, None
    if n % 71 == 0:
        return 503, None
    if n % 89 == 0:
        return 404, None
    return 200, None


def delay_of(n: int) -> float:
    """Seconds path ``n`` waits before answering."""
    if n % 211 == 0 and n:
        return PROBE_TIMEOUT * 3
    if n % 47 == 0:
        return 0.2 + (n % 5) * 0.02  # the slow ones
    return ((n * 7919) % 40) / 1000


@dataclass
class Fleet:
    """``servers`` HTTP servers on 127.0.0.1, serving ``/svc/<n>``."""

    servers: int
    ports: list[int] = field(default_factory=list)
    served: int = 0
    _loop: asyncio.AbstractEventLoop | None = None
    _thread: threading.Thread | None = None
    _stop: asyncio.Event | None = None
    _handlers: set[asyncio.Task[None]] = field(default_factory=set)

    def start(self) -> None:
        started = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            try:
                asyncio.run(self._serve(started))
            except BaseException as exc:
                failure.append(exc)
                started.set()

        self._thread = threading.Thread(target=run, name="aioxide-demo-fleet", daemon=True)
        self._thread.start()
        started.wait(30)
        if failure:
            raise RuntimeError(f"the HTTP fleet could not start: {failure[0]}") from failure[0]
        if len(self.ports) != self.servers:
            raise RuntimeError("the HTTP fleet did not start within 30 s")

    async def _serve(self, started: threading.Event) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        servers = [
            await asyncio.start_server(self._handle, "127.0.0.1", 0, backlog=2048)
            for _ in range(self.servers)
        ]
        self.ports = [s.sockets[0].getsockname()[1] for s in servers]
        started.set()
        await self._stop.wait()
        for server in servers:
            server.close()
        # Requests still sleeping (the paths that outlast the probe timeout).
        for task in list(self._handlers):
            task.cancel()
        await asyncio.gather(*self._handlers, return_exceptions=True)
        for server in servers:
            await server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        task.add_done_callback(self._handlers.discard)
        try:
            request = await reader.readuntil(b"\r\n\r\n")
            path = request.split(b" ", 2)[1].decode()
            n = int(path.rsplit("/", 1)[1])
            await asyncio.sleep(delay_of(n))
            status, _ = expected_outcome(n)
            status = status or 200
            body = f"service {n}\n".encode()
            head = (
                f"HTTP/1.1 {status} {_REASONS[status]}\r\nContent-Length: {len(body)}\r\n"
                "Connection: close\r\n\r\n"
            )
            writer.write(head.encode() + body)
            await writer.drain()
            self.served += 1
        except (asyncio.IncompleteReadError, ConnectionError, ValueError, IndexError):
            pass  # a client that gave up (timeouts) or sent garbage
        except asyncio.CancelledError:
            pass  # the fleet is stopping
        finally:
            writer.close()

    def urls(self, endpoints: int) -> list[str]:
        return [
            f"http://127.0.0.1:{self.ports[n % self.servers]}/svc/{n}" for n in range(endpoints)
        ]

    def stop(self) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        if self._thread is not None:
            self._thread.join(10)
