"""Query planning for the in-process store: pick the index whose leading keys the filter pins by
equality and whose following keys give the requested order, then walk only that range.

Results are exactly those of a full scan followed by a stable sort (ties in insertion order);
only the cost differs. Stored documents are never changed in place (every write stores a new
document), so reads share them and `clone` copies only containers, never leaves.
"""

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .index import Index
from .query import _compile, _sort_docs

if TYPE_CHECKING:
    from .collection import InMemoryCollection

_CONTAINERS = frozenset((dict, list))


def clone(value: Any) -> Any:
    """A copy a caller may mutate: dicts and lists are copied, immutable leaves shared.

    A container without nested containers (most documents, most arrays) is copied whole by
    its C-level `copy()` after a C-level type check of its values: about a third of the cost of
    copying it item by item in Python (measured: 20 gallery documents 69 -> 25 µs)."""
    if type(value) is dict:
        if _CONTAINERS.isdisjoint(map(type, value.values())):
            return value.copy()
        return {k: clone(v) if type(v) in _CONTAINERS else v for k, v in value.items()}
    if type(value) is list:
        if _CONTAINERS.isdisjoint(map(type, value)):
            return value.copy()
        return [clone(v) if type(v) in _CONTAINERS else v for v in value]
    return value


def own_children(doc: dict) -> dict:
    """`doc` is already a fresh top-level dict (a projection's): copy only the containers
    inside it, instead of copying it once more with `clone`."""
    if not _CONTAINERS.isdisjoint(map(type, doc.values())):
        for key, value in doc.items():  # replaces values only: the size never changes
            if type(value) in _CONTAINERS:
                doc[key] = clone(value)
    return doc


def sort_spec(sort: Any) -> list[tuple[str, int]]:
    if not sort:
        return []
    if isinstance(sort, str):
        return [(sort, 1)]
    if isinstance(sort, Mapping):
        return list(sort.items())
    return [(k, d) for k, d in sort]


def _best(indexes: list[Index], flt: Mapping[str, Any],
          sort: list[tuple[str, int]]) -> tuple[Index, list[Any], int, bool] | None:
    best, best_score = None, (0, 0)
    for index in indexes:
        if index.multikey:
            continue
        prefix = index.equality_prefix(flt)
        matched, reverse = index.order_match(len(prefix), sort) if index.ordered else (0, False)
        score = (len(prefix), matched)
        if score > best_score:
            best, best_score = (index, prefix, matched, reverse), score
    return best


def select(coll: "InMemoryCollection", flt: Mapping[str, Any] | None, sort: Any = None,
           need: int = 0) -> list[dict]:
    """Matching stored documents in `sort` order (insertion order without one); at least the
    first `need` of them when `need` > 0, else all."""
    flt = flt or {}
    spec = sort_spec(sort)
    if "_id" in flt and not isinstance(flt["_id"], dict):
        return _sort_docs(coll._select_by_id(flt), spec)
    found = _best(list(coll._indexes.values()), flt, spec) if flt or spec else None
    if found is None:
        return _sort_docs(coll._scan(flt), spec)
    index, prefix, matched, reverse = found
    lo, hi = index.span(prefix)
    pinned = index.fields[:len(prefix)]
    predicate = _compile({k: v for k, v in flt.items() if k not in pinned})
    tail = spec[matched:]
    reordered = matched < len(index.keys) - len(prefix)
    docs = coll._docs
    out: list[dict] = []
    for group in index.walk(lo, hi, len(prefix), matched, reverse):
        if reordered:
            group.sort(key=lambda e: e[-2])
        chunk = [d for d in (docs[e[-1]] for e in group) if predicate(d)]
        out.extend(_sort_docs(chunk, tail) if tail else chunk)
        if need and len(out) >= need:
            break
    return out


def count(coll: "InMemoryCollection", flt: Mapping[str, Any] | None) -> int:
    flt = flt or {}
    if not flt:
        return len(coll._docs)
    for index in coll._indexes.values():
        prefix = index.equality_prefix(flt)
        if prefix and len(prefix) == len(flt):
            lo, hi = index.span(prefix)
            return hi - lo
    return len(select(coll, flt))
