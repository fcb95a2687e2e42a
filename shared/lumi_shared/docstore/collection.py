"""A collection: documents, unique/partial/TTL indexes, cursors, PyMongo-shaped results.

Every coroutine runs without yielding to the event loop, so each operation is atomic, like a
single-document write in MongoDB.
"""

import copy
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from bson import ObjectId
from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from .query import (
    _MISSING,
    _apply_update,
    _candidates,
    _compile,
    _get,
    _get_values,
    _matches,
    _normalize,
    _project,
    _sort_docs,
)

if TYPE_CHECKING:
    from .client import InMemoryDatabase


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


class _Index:
    def __init__(self, keys: list[tuple[str, int]], unique: bool, sparse: bool,
                 partial: Mapping[str, Any] | None, ttl: int | None, name: str) -> None:
        self.keys, self.unique, self.sparse, self.partial, self.ttl, self.name = (
            keys, unique, sparse, partial, ttl, name)

    def key_of(self, doc: dict) -> tuple | None:
        if self.partial is not None and not _matches(doc, self.partial):
            return None
        values = tuple(_get(doc, k) for k, _ in self.keys)
        if self.sparse and all(v is _MISSING for v in values):
            return None
        return tuple(None if v is _MISSING else repr(_normalize(v)) for v in values)


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
            docs = _sort_docs(self._collection._select(self._filter), self._sort)[self._skip:]
            if self._limit:
                docs = docs[: self._limit]
            self._items = [_project(copy.deepcopy(d), self._projection) for d in docs]
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


class InMemoryCollection:
    def __init__(self, database: "InMemoryDatabase", name: str) -> None:
        self.database, self.name = database, name
        self._docs: dict[Any, dict] = {}
        self._indexes: dict[str, _Index] = {}

    # -- internals (synchronous: each public coroutine is atomic)

    def _select(self, flt: Mapping[str, Any] | None) -> list[dict]:
        if flt and "_id" in flt and not isinstance(flt["_id"], dict):
            doc = self._docs.get(_normalize(flt["_id"]))
            return [doc] if doc is not None and _matches(doc, flt) else []
        predicate = _compile(flt)
        return [d for d in self._docs.values() if predicate(d)]

    def _check_unique(self, doc: dict, ignore_id: Any = _MISSING) -> None:
        if doc["_id"] != ignore_id and doc["_id"] in self._docs:
            raise DuplicateKeyError(f"E11000 duplicate key error collection: {self.name} _id")
        for index in self._indexes.values():
            if not index.unique:
                continue
            key = index.key_of(doc)
            if key is None:
                continue
            for other in self._docs.values():
                if other["_id"] not in (doc["_id"], ignore_id) and index.key_of(other) == key:
                    raise DuplicateKeyError(
                        f"E11000 duplicate key error collection: {self.name} index: {index.name}"
                    )

    def _store(self, doc: dict) -> None:
        self._docs[doc["_id"]] = doc
        self.database.client._dirty = True

    def _update(self, flt: Mapping[str, Any], update: Any, upsert: bool, many: bool,
                sort: Any = None) -> tuple[UpdateResult, dict | None, dict | None]:
        replacing = not any(k.startswith("$") for k in update)
        targets = _sort_docs(self._select(flt), sort)
        if not many:
            targets = targets[:1]
        if not targets:
            if not upsert:
                return UpdateResult(0, 0), None, None
            new = {k: copy.deepcopy(v) for k, v in (flt or {}).items()
                   if not k.startswith("$") and not (isinstance(v, dict) and any(
                       str(x).startswith("$") for x in v))}
            if replacing:
                new = {**({"_id": new["_id"]} if "_id" in new else {}), **copy.deepcopy(update)}
            else:
                _apply_update(new, update, inserting=True)
            new.setdefault("_id", ObjectId())
            new = _normalize(new)
            self._check_unique(new)
            self._store(new)
            return UpdateResult(0, 0, new["_id"]), None, new
        staged: list[tuple[dict, dict]] = []
        for doc in targets:
            new = copy.deepcopy(doc)
            if replacing:
                new = {"_id": doc["_id"], **copy.deepcopy(update)}
            else:
                _apply_update(new, update, inserting=False)
            new = _normalize(new)
            self._check_unique(new, ignore_id=doc["_id"])
            staged.append((doc, new))
        modified = 0
        for old, new in staged:
            if new != old:
                modified += 1
                self._store(new)
        return UpdateResult(len(staged), modified), staged[0][0], staged[0][1]

    # -- PyMongo-compatible coroutines

    async def create_index(self, keys: Any, *, unique: bool = False, sparse: bool = False,
                           name: str | None = None, partialFilterExpression: Any = None,
                           expireAfterSeconds: int | None = None, **_: Any) -> str:
        if isinstance(keys, str):
            keys = [(keys, 1)]
        keys = list(keys)
        name = name or "_".join(f"{k}_{d}" for k, d in keys)
        index = _Index(keys, unique, sparse, partialFilterExpression, expireAfterSeconds, name)
        if unique:
            seen: set[tuple] = set()
            for doc in self._docs.values():
                key = index.key_of(doc)
                if key is not None and key in seen:
                    raise DuplicateKeyError(f"cannot build unique index {name}: duplicates")
                if key is not None:
                    seen.add(key)
        self._indexes[name] = index
        return name

    async def insert_one(self, document: dict, **_: Any) -> InsertOneResult:
        doc = _normalize(copy.deepcopy(document))
        doc.setdefault("_id", ObjectId())
        self._check_unique(doc)
        self._store(doc)
        document.setdefault("_id", doc["_id"])
        return InsertOneResult(doc["_id"])

    async def insert_many(self, documents: Iterable[dict], **_: Any) -> list[Any]:
        return [(await self.insert_one(d)).inserted_id for d in documents]

    async def find_one(self, filter: Mapping[str, Any] | None = None, projection: Any = None,
                       *, sort: Any = None, **_: Any) -> dict | None:
        docs = _sort_docs(self._select(filter), sort)
        return _project(copy.deepcopy(docs[0]), projection) if docs else None

    def find(self, filter: Mapping[str, Any] | None = None, projection: Any = None, *,
             sort: Any = None, skip: int = 0, limit: int = 0, **_: Any) -> Cursor:
        cursor = Cursor(self, filter, projection)
        if sort:
            cursor.sort(sort)
        return cursor.skip(skip).limit(limit)

    async def count_documents(self, filter: Mapping[str, Any] | None = None, **_: Any) -> int:
        return len(self._select(filter))

    async def distinct(self, key: str, filter: Mapping[str, Any] | None = None) -> list[Any]:
        out: list[Any] = []
        for doc in self._select(filter):
            for v in _candidates(_get_values(doc, key.split("."))):
                if v is not _MISSING and not isinstance(v, list) and v not in out:
                    out.append(v)
        return out

    async def update_one(self, filter: Mapping[str, Any], update: Any, upsert: bool = False,
                         **_: Any) -> UpdateResult:
        return self._update(filter, update, upsert, many=False)[0]

    async def update_many(self, filter: Mapping[str, Any], update: Any, upsert: bool = False,
                          **_: Any) -> UpdateResult:
        return self._update(filter, update, upsert, many=True)[0]

    async def replace_one(self, filter: Mapping[str, Any], replacement: dict,
                          upsert: bool = False, **_: Any) -> UpdateResult:
        return self._update(filter, replacement, upsert, many=False)[0]

    async def find_one_and_update(self, filter: Mapping[str, Any], update: Any,
                                  projection: Any = None, *, sort: Any = None,
                                  upsert: bool = False,
                                  return_document: bool = ReturnDocument.BEFORE,
                                  **_: Any) -> dict | None:
        _, before, after = self._update(filter, update, upsert, many=False, sort=sort)
        doc = after if return_document == ReturnDocument.AFTER else before
        return _project(copy.deepcopy(doc), projection) if doc is not None else None

    async def find_one_and_delete(self, filter: Mapping[str, Any], projection: Any = None,
                                  *, sort: Any = None, **_: Any) -> dict | None:
        docs = _sort_docs(self._select(filter), sort)
        if not docs:
            return None
        doc = self._docs.pop(docs[0]["_id"])
        self.database.client._dirty = True
        return _project(doc, projection)

    async def delete_one(self, filter: Mapping[str, Any], **_: Any) -> DeleteResult:
        docs = self._select(filter)[:1]
        for doc in docs:
            del self._docs[doc["_id"]]
        self.database.client._dirty = self.database.client._dirty or bool(docs)
        return DeleteResult(len(docs))

    async def delete_many(self, filter: Mapping[str, Any], **_: Any) -> DeleteResult:
        docs = self._select(filter)
        for doc in docs:
            del self._docs[doc["_id"]]
        self.database.client._dirty = self.database.client._dirty or bool(docs)
        return DeleteResult(len(docs))

    def purge_expired(self, now: datetime) -> int:
        removed = 0
        for index in self._indexes.values():
            if index.ttl is None:
                continue
            field = index.keys[0][0]
            limit = now - timedelta(seconds=index.ttl)
            for doc in list(self._docs.values()):
                value = _get(doc, field)
                if isinstance(value, datetime) and value <= limit:
                    del self._docs[doc["_id"]]
                    removed += 1
        return removed
