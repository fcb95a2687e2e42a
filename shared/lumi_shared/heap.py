"""Garbage-collector policy of a server process.

With CPython's defaults a server's event loop stalls on full collections: `bench api`
(embedded, 200 items) measured one about every second, each walking the ~157,000 container
objects of the started process (modules, classes, routes, schemas, settings) and pausing every
request for ~100 ms; that pause was the p99 of every endpoint. So once a process has started:

- one collection, then `gc.freeze()`: what exists now moves to the permanent generation and no
  later collection walks it again. Objects of start-up that die later are still freed by
  reference counting; only a reference cycle among them would stay (none is known);
- the youngest generation is collected after 10,000 allocations instead of 700, so the
  short-lived objects of requests in flight are mostly freed by reference counting first
  instead of being promoted, and full collections become rare and short.

Server entry points (`serve`, the embedded runner, the benchmark servers) opt in; tests do not,
so a test process never freezes the garbage of the apps it builds and drops.
"""

import gc

YOUNG_GENERATION_THRESHOLD = 10_000
_settle_on_start = False


def settle() -> None:
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_GENERATION_THRESHOLD, middle, old)


def settle_once_started() -> None:
    """For a process that serves one app: `started()` (its lifespan) settles the heap."""
    global _settle_on_start
    _settle_on_start = True


def started() -> None:
    global _settle_on_start
    if _settle_on_start:
        _settle_on_start = False
        settle()
