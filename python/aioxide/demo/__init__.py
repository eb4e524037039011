"""``python -m aioxide.demo``: the end-to-end job, run by ``make demo``.

Monitoring many hosts, the way the OmniLib libraries are used together:

1. :mod:`.fleet` starts a few HTTP servers on loopback serving thousands of
   paths, with varied latency and some failing.
2. :mod:`.probe` fetches them from an ``aioxide.multiprocess`` pool (one
   child per core, many coroutines per child), each shard's concurrency
   bounded by ``aioxide.itertools``, and reduces the results per child
   (``map_reduce``) before they come back.
3. :mod:`.store` writes the results into an SQLite file through
   ``aioxide.sqlite``, queries them back and checks them against the plan.

>>> from aioxide.demo.fleet import expected_outcome
>>> expected_outcome(0)
(500, None)
"""
