"""Frame kinds, payload pickling and exception transport between a pool and
its children.

Payloads are pickle protocol 5. When plain pickle cannot serialise a value
(lambdas, closures, functions defined in ``__main__`` or inside another
function), cloudpickle pickles it by value instead.
"""

from __future__ import annotations

import pickle
import traceback
from typing import Any

from .._core import CHANNEL_MAX_PAYLOAD
from .types import ProxyException, RemoteError, RemoteTraceback

# Parent -> child.
TASK = 1  # id = batch id; payload = (func, calls, reducer)
CANCEL = 2  # id = batch id
STOP = 3  # finish what is running, then exit
# Child -> parent.
READY = 10  # id = child pid; the child's loop is serving
RESULT = 11  # id = batch id; payload = packed batch outcome
INIT_FAILED = 12  # payload = packed exception from the initializers

PROTOCOL = 5

#: The most bytes one frame carries (a u32 length). A batch or a result
#: pickled larger is refused with an error naming it, before it is sent: the
#: channel would refuse it anyway, and nobody would ever answer the call.
MAX_PAYLOAD = CHANNEL_MAX_PAYLOAD


def too_large(size: int, what: str) -> ValueError:
    """The error for ``what`` pickled to ``size`` bytes, over MAX_PAYLOAD.

    >>> str(too_large(5_000_000_000, "the batch"))[:44]
    'the batch is 5,000,000,000 bytes pickled, mo'
    """
    return ValueError(
        f"{what} is {size:,} bytes pickled, more than one message between "
        f"processes carries ({MAX_PAYLOAD:,} bytes)"
    )


def _by_value(obj: Any) -> bool:
    """Functions from ``__main__`` pickle by reference but cannot be found in
    a child that does not re-run the main script; ship them by value."""
    return getattr(obj, "__module__", None) == "__main__" and callable(obj)


def dumps(obj: Any, *, by_value: Any = None) -> bytes:
    """Pickles ``obj``, falling back to cloudpickle where pickle cannot.

    >>> loads(dumps(lambda x: x + 1))(1)
    2
    """
    if by_value is None or not _by_value(by_value):
        try:
            return pickle.dumps(obj, protocol=PROTOCOL)
        except (pickle.PicklingError, AttributeError, TypeError):
            pass
    import cloudpickle  # type: ignore[import-untyped]  # imported when needed: ~20 ms

    pickled: bytes = cloudpickle.dumps(obj, protocol=PROTOCOL)
    return pickled


#: A frame's payload: one ``bytes``, or the pieces a pickler wrote, sent
#: back to back (``Channel.send_many`` takes either).
Payload = bytes | list[bytes]


class _Pieces:
    """A file for ``pickle.Pickler`` that keeps the pieces it writes.

    A large pickle built by ``pickle.dumps`` grows one ``bytes`` by
    reallocation, copying it again and touching fresh memory at each step;
    pickling protocol 5 to a file hands over frames of about 64 KB instead.
    """

    __slots__ = ("pieces",)

    def __init__(self) -> None:
        self.pieces: list[bytes] = []

    def write(self, data: Any) -> int:
        # A large bytes-like argument is passed through as is: a bytearray
        # or memoryview must be copied now, as pickle.dumps would have.
        self.pieces.append(data if type(data) is bytes else bytes(data))
        return len(data)


def dumps_pieces(obj: Any, *, by_value: Any = None) -> list[bytes]:
    """:func:`dumps` as the pieces of the pickle (see :data:`Payload`).

    >>> b"".join(dumps_pieces([1, 2])) == dumps([1, 2])
    True
    """
    if by_value is None or not _by_value(by_value):
        out = _Pieces()
        try:
            pickle.Pickler(out, protocol=PROTOCOL).dump(obj)
            return out.pieces
        except (pickle.PicklingError, AttributeError, TypeError):
            pass
    import cloudpickle  # imported when needed: ~20 ms

    out = _Pieces()
    cloudpickle.Pickler(out, protocol=PROTOCOL).dump(obj)
    return out.pieces


def dumps_batch(obj: Any, calls: int, *, by_value: Any = None) -> Payload:
    """A batch of ``calls`` calls (or its results) pickled: in pieces for
    more than one call, where sizes add up to megabytes, else with
    :func:`dumps` — a ``Pickler`` on a file costs ~1.3 µs more to set up,
    a tenth of what an ``apply`` round trip spends in Python.

    >>> dumps_batch([1], 1) == dumps([1])
    True
    >>> b"".join(dumps_batch([1, 2], 2)) == dumps([1, 2])
    True
    """
    if calls > 1:
        return dumps_pieces(obj, by_value=by_value)
    return dumps(obj, by_value=by_value)


def payload_size(payload: Payload) -> int:
    """Bytes in a payload.

    >>> payload_size([b"ab", b"c"])
    3
    """
    return len(payload) if isinstance(payload, bytes) else sum(map(len, payload))


def joined(payload: Payload) -> bytes:
    """A payload as one ``bytes``.

    >>> joined([b"ab", b"c"])
    b'abc'
    """
    return payload if isinstance(payload, bytes) else b"".join(payload)


loads = pickle.loads


def describe_call(func: Any, args: Any = ()) -> str:
    """A short readable name for a call, for error messages."""
    name = getattr(func, "__qualname__", None) or repr(func)
    module = getattr(func, "__module__", None)
    if module and module not in ("builtins", "__main__"):
        name = f"{module}.{name}"
    shown = ", ".join(_short_repr(a) for a in list(args)[:3])
    if len(args) > 3:
        shown += ", ..."
    return f"{name}({shown})"


def _short_repr(value: Any) -> str:
    try:
        text = repr(value)
    except Exception:
        text = f"<{type(value).__name__}>"
    return text if len(text) <= 40 else text[:37] + "..."


# --- exceptions ---------------------------------------------------------


def pack_exception(exc: BaseException) -> tuple[bytes | None, str, str, str]:
    """What the child sends for a failed call: the pickled exception (if it
    pickles), its type name, message and formatted traceback."""
    tb = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    try:
        message = str(exc)
    except Exception:
        message = f"<unprintable {type(exc).__name__}>"
    blob: bytes | None
    try:
        # The traceback and chained exceptions do not travel; the text does.
        blob = dumps(exc)
    except Exception:
        blob = None
    name = f"{type(exc).__module__}.{type(exc).__qualname__}"
    return blob, name, message, tb


def unpack_exception(packed: tuple[bytes | None, str, str, str]) -> BaseException:
    """Rebuilds a child's exception in the parent: same type (when it could
    travel), also a :class:`ProxyException`, with the child's traceback as
    its cause."""
    blob, name, message, tb = packed
    exc: BaseException | None = None
    if blob is not None:
        try:
            exc = loads(blob)
        except Exception:
            exc = None
    if not isinstance(exc, Exception):
        # Not sent, or a BaseException-only type (CancelledError, SystemExit,
        # KeyboardInterrupt) that must not look like the caller's own.
        exc = RemoteError(f"{name}: {message}" if message else name)
    proxied = as_proxy(exc)
    proxied.__cause__ = RemoteTraceback(tb)
    return proxied


_proxy_types: dict[type, type | None] = {}


def _proxy_type(cls: type) -> type | None:
    if issubclass(cls, ProxyException):
        return cls
    if cls not in _proxy_types:
        try:
            proxy: type | None = type(
                cls.__name__,
                (cls, ProxyException),
                {
                    "__module__": cls.__module__,
                    "__qualname__": cls.__qualname__,
                    "__reduce__": _reduce_as_original,
                },
            )
        except TypeError:  # a final class, or an incompatible layout
            proxy = None
        _proxy_types[cls] = proxy
    return _proxy_types[cls]


def _reduce_as_original(self: BaseException) -> Any:
    # Pickling a proxied exception again yields the original type.
    original = type(self).__mro__[1]
    return _rebuild_original, (original, self.args, dict(self.__dict__))


def _rebuild_original(cls: type, args: tuple[Any, ...], state: dict[str, Any]) -> BaseException:
    exc: BaseException = cls.__new__(cls, *args)
    exc.args = args
    exc.__dict__.update(state)
    return exc


def as_proxy(exc: BaseException) -> BaseException:
    """``exc`` as an instance of a subclass of both its type and
    :class:`ProxyException` (``exc`` itself if its type cannot be extended)."""
    proxy = _proxy_type(type(exc))
    if proxy is None or proxy is type(exc):
        return exc
    try:
        new: BaseException = proxy.__new__(proxy, *exc.args)
        new.args = exc.args
        new.__dict__.update(exc.__dict__)
    except Exception:
        return exc
    return new
