"""Indexes of the in-process store.

Every index created with `create_index` keeps its entries in one sorted list, ordered by the
index keys (with their directions) and then by insertion sequence, so a range of equal leading
keys is found by bisection and walked in order. That makes the queries the repositories issue
(equality on the leading keys, sort on the following ones) cost O(page), and `count` on exactly
the equality keys O(log n). Entries are `(*key parts, seq, _id)`: `seq` is unique, so ties on
the key parts keep insertion order, exactly like the stable sort of a full scan.

Unique indexes also keep a hash map key -> _id, so a write checks uniqueness in O(1).
"""

from bisect import bisect_left, insort
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from .query import _MISSING, _get, _get_values, _matches, _normalize, _sort_key

SCALARS = (str, int, float, bool, datetime, type(None))


class _Desc:
    """A sort key compared in reverse (for descending index keys)."""

    __slots__ = ("k",)

    def __init__(self, k: tuple) -> None:
        self.k = k

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Desc) and self.k == other.k

    def __lt__(self, other: Any) -> bool:
        return other is TOP or (isinstance(other, _Desc) and other.k < self.k)

    def __gt__(self, other: Any) -> bool:
        return other is not TOP and isinstance(other, _Desc) and self.k < other.k

    __hash__ = None  # type: ignore[assignment]


class _Top:
    """Greater than every key part: the upper bound of a prefix range."""

    def __eq__(self, other: object) -> bool:
        return other is self

    def __lt__(self, other: Any) -> bool:
        return False

    def __gt__(self, other: Any) -> bool:
        return other is not self

    __hash__ = object.__hash__


TOP = _Top()


def field_value(doc: Mapping[str, Any], field: str) -> Any:
    if "." not in field:
        return doc.get(field)
    values = _get_values(doc, field.split("."))
    if len(values) > 1:
        return values  # reached through an array: a multikey entry
    return None if values[0] is _MISSING else values[0]


def key_part(value: Any, direction: int) -> Any:
    key = _sort_key(value)
    return key if direction > 0 else _Desc(key)


class Index:
    def __init__(self, keys: list[tuple[str, int]], unique: bool, sparse: bool,
                 partial: Mapping[str, Any] | None, ttl: int | None, name: str) -> None:
        self.keys, self.unique, self.sparse, self.partial, self.ttl, self.name = (
            keys, unique, sparse, partial, ttl, name)
        self.fields = [k for k, _ in keys]
        # Ordered entries only for indexes that hold every document (sparse/partial ones don't).
        self.ordered = not sparse and partial is None
        self.entries: list[tuple] = []
        self.multikey = 0  # documents with an array/object in an indexed field
        self.owners: dict[tuple, Any] = {}  # unique key -> _id

    # -- unique keys

    def key_of(self, doc: dict) -> tuple | None:
        if self.partial is not None and not _matches(doc, self.partial):
            return None
        values = tuple(_get(doc, k) for k in self.fields)
        if self.sparse and all(v is _MISSING for v in values):
            return None
        return tuple(None if v is _MISSING else repr(_normalize(v)) for v in values)

    def owner(self, doc: dict) -> Any:
        """The _id of another document holding `doc`'s unique key, else _MISSING."""
        key = self.key_of(doc)
        if key is None:
            return _MISSING
        return self.owners.get(key, _MISSING)

    # -- maintenance

    def entry(self, doc: dict, seq: int) -> tuple:
        parts = [field_value(doc, f) for f in self.fields]
        return (*(key_part(v, d) for v, (_, d) in zip(parts, self.keys, strict=True)),
                seq, doc["_id"])

    def _is_multikey(self, doc: dict) -> bool:
        return any(isinstance(field_value(doc, f), list | dict) for f in self.fields)

    def add(self, doc: dict, seq: int) -> None:
        if self.unique:
            key = self.key_of(doc)
            if key is not None:
                self.owners[key] = doc["_id"]
        if self.ordered:
            insort(self.entries, self.entry(doc, seq))
            self.multikey += self._is_multikey(doc)

    def remove(self, doc: dict, seq: int) -> None:
        if self.unique:
            key = self.key_of(doc)
            if key is not None and self.owners.get(key) == doc["_id"]:
                del self.owners[key]
        if self.ordered:
            entry = self.entry(doc, seq)
            at = bisect_left(self.entries, entry)
            if at < len(self.entries) and self.entries[at][-2] == seq:
                del self.entries[at]
            self.multikey -= self._is_multikey(doc)

    # -- queries

    def equality_prefix(self, flt: Mapping[str, Any]) -> list[Any]:
        """Values of the leading index keys that `flt` pins with a plain equality."""
        values: list[Any] = []
        if not self.ordered or self.multikey:
            return values
        for field in self.fields:
            if field not in flt:
                break
            value = flt[field]
            if not isinstance(value, SCALARS):
                break
            values.append(_normalize(value))
        return values

    def span(self, prefix: list[Any]) -> tuple[int, int]:
        probe = tuple(key_part(v, d) for v, (_, d) in zip(prefix, self.keys, strict=False))
        return bisect_left(self.entries, probe), bisect_left(self.entries, (*probe, TOP))

    def order_match(self, start: int, sort: list[tuple[str, int]]) -> tuple[int, bool]:
        """How many leading keys of `sort` this index yields in order after `start` equality
        keys, and whether it yields them by walking backwards."""
        rest = self.keys[start:]
        matched, reverse = 0, False
        for i, (field, direction) in enumerate(sort):
            if i >= len(rest) or rest[i][0] != field:
                break
            flipped = rest[i][1] != direction
            if i == 0:
                reverse = flipped
            elif flipped != reverse:
                break
            matched += 1
        return matched, reverse

    def walk(self, lo: int, hi: int, start: int, matched: int,
             reverse: bool) -> Iterator[list[tuple]]:
        """Groups of entries equal on the `matched` ordered keys, in index order; each group in
        insertion order."""
        rng = range(hi - 1, lo - 1, -1) if reverse else range(lo, hi)
        group: list[tuple] = []
        current: tuple | None = None
        end = start + matched
        for i in rng:
            entry = self.entries[i]
            key = entry[start:end]
            if group and key != current:
                yield group[::-1] if reverse else group
                group = []
            current = key
            group.append(entry)
        if group:
            yield group[::-1] if reverse else group

    def expired(self, limit: datetime) -> list[Any]:
        """_ids whose (ascending, datetime) first key is at or before `limit`."""
        lo = bisect_left(self.entries, ((_sort_key(limit)[0],),))
        out = []
        for entry in self.entries[lo:]:
            part = entry[0]
            if part[0] != _sort_key(limit)[0] or part[1] > limit:
                break
            out.append(entry[-1])
        return out
