"""Cursors and the PyMongo-shaped results of the in-process store."""

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from . import plan
from .plan import clone, own_children
from .query import _project

if TYPE_CHECKING:
    from .collection import InMemoryCollection


class InsertOneResult:
    def __init__(self, inserted_id: Any) -> None:
        self.inserted_id = inserted_id
        self.acknowledged = True


class UpdateResult:
    def __init__(self, matched: int, modified: int, upserted_id: Any = None) -> None:
        self.matched_count = matched
        self.modified_count = modified
        self.upserted_id = upserted_id
        self.acknowledged = True


class DeleteResult:
    def __init__(self, deleted: int) -> None:
        self.deleted_count = deleted
        self.acknowledged = True


class Cursor:
    def __init__(self, collection: "InMemoryCollection", flt: Mapping[str, Any] | None,
                 projection: Mapping[str, Any] | None) -> None:
        self._collection, self._filter, self._projection = collection, flt, projection
        self._sort: Any = None
        self._skip = 0
        self._limit = 0
        self._items: list[dict] | None = None

    def sort(self, key: Any, direction: int | None = None) -> "Cursor":
        self._sort = [(key, direction or 1)] if isinstance(key, str) else key
        return self

    def skip(self, n: int) -> "Cursor":
        self._skip = n
        return self

    def limit(self, n: int) -> "Cursor":
        self._limit = n
        return self

    def _materialize(self) -> list[dict]:
        if self._items is None:
            need = self._skip + self._limit if self._limit else 0
            docs = plan.select(self._collection, self._filter, self._sort, need)[self._skip:]
            if self._limit:
                docs = docs[: self._limit]
            if self._projection:  # _project already made the caller's own top-level dict
                self._items = [own_children(_project(d, self._projection)) for d in docs]
            else:
                self._items = [clone(d) for d in docs]
        return self._items

    async def to_list(self, length: int | None = None) -> list[dict]:
        items = self._materialize()
        return items[:length] if length else list(items)

    def __aiter__(self) -> "Cursor":
        self._iter = iter(self._materialize())
        return self

    async def __anext__(self) -> dict:
        try:
            return next(self._iter)
        except StopIteration:
            raise StopAsyncIteration from None
