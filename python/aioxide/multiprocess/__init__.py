"""aioxide.multiprocess: coroutines across every core, drop-in for
aiomultiprocess (same names), without its polling and hangs.

>>> from aioxide.multiprocess import Pool, Worker, Process
"""

from .core import Process, Worker, set_context, set_start_method
from .pool import Pool, PoolResult
from .scheduler import LeastLoaded, RoundRobin, Scheduler
from .types import (
    ClusterLost,
    ClusterUnavailable,
    PoolBroken,
    PoolTerminated,
    ProxyException,
    QueueID,
    RemoteError,
    RemoteTraceback,
    TaskID,
    WorkerCrashed,
)

__version__ = "0.9.1"

__all__ = [
    "ClusterLost",
    "ClusterUnavailable",
    "LeastLoaded",
    "Pool",
    "PoolBroken",
    "PoolResult",
    "PoolTerminated",
    "Process",
    "ProxyException",
    "QueueID",
    "RemoteError",
    "RemoteTraceback",
    "RoundRobin",
    "Scheduler",
    "TaskID",
    "Worker",
    "WorkerCrashed",
    "set_context",
    "set_start_method",
]
