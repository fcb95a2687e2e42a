"""A collection: documents, unique/partial/TTL indexes, cursors, PyMongo-shaped results.

Every coroutine runs without yielding to the event loop, so each operation is atomic, like a
single-document write in MongoDB. Stored documents are immutable: a write stores a new document
(copy-on-write), so reads hand out `clone`s (containers copied, leaves shared) and the journal
may encode a stored document later, from another thread.
"""

import copy
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from bson import ObjectId
from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from . import plan
from .cursor import Cursor, DeleteResult, InsertOneResult, UpdateResult
from .index import Index
from .plan import clone
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
)

if TYPE_CHECKING:
    from .client import InMemoryDatabase


class InMemoryCollection:
    def __init__(self, database: "InMemoryDatabase", name: str) -> None:
        self.database, self.name = database, name
        self._docs: dict[Any, dict] = {}
        self._seqs: dict[Any, int] = {}  # _id -> insertion sequence (ties keep insertion order)
        self._seq = 0
        self._indexes: dict[str, Index] = {}
        self._counts: dict[str, int] = {}  # filter -> count, until the next write

    # -- internals (synchronous: each public coroutine is atomic)

    def _select_by_id(self, flt: Mapping[str, Any]) -> list[dict]:
        doc = self._docs.get(_normalize(flt["_id"]))
        return [doc] if doc is not None and _matches(doc, flt) else []

    def _scan(self, flt: Mapping[str, Any] | None) -> list[dict]:
        predicate = _compile(flt)
        return [d for d in self._docs.values() if predicate(d)]

    def _select(self, flt: Mapping[str, Any] | None, sort: Any = None, need: int = 0) -> list[dict]:
        return plan.select(self, flt, sort, need)

    def _check_unique(self, doc: dict, ignore_id: Any = _MISSING) -> None:
        if doc["_id"] != ignore_id and doc["_id"] in self._docs:
            raise DuplicateKeyError(f"E11000 duplicate key error collection: {self.name} _id")
        for index in self._indexes.values():
            if index.unique and index.owner(doc) not in (_MISSING, doc["_id"], ignore_id):
                raise DuplicateKeyError(
                    f"E11000 duplicate key error collection: {self.name} index: {index.name}")

    def _store(self, doc: dict) -> None:
        old = self._docs.get(doc["_id"])
        if old is None:
            self._seq += 1
            self._seqs[doc["_id"]] = self._seq
        seq = self._seqs[doc["_id"]]
        for index in self._indexes.values():
            if old is not None:
                index.remove(old, seq)
            index.add(doc, seq)
        self._docs[doc["_id"]] = doc
        self._changed(doc, doc["_id"])

    def _drop(self, doc_id: Any) -> dict:
        doc = self._docs.pop(doc_id)
        seq = self._seqs.pop(doc_id)
        for index in self._indexes.values():
            index.remove(doc, seq)
        self._changed(None, doc_id)
        return doc

    def _changed(self, doc: dict | None, doc_id: Any) -> None:
        self._counts.clear()
        self.database.client._record(self.database.name, self.name, doc, doc_id)

    def _update(self, flt: Mapping[str, Any], update: Any, upsert: bool, many: bool,
                sort: Any = None) -> tuple[UpdateResult, dict | None, dict | None]:
        replacing = not any(k.startswith("$") for k in update)
        targets = self._select(flt, sort, 0 if many else 1)
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
            new = clone(doc)
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
        index = Index(keys, unique, sparse, partialFilterExpression, expireAfterSeconds, name)
        if unique:
            seen: set[tuple] = set()
            for doc in self._docs.values():
                key = index.key_of(doc)
                if key is not None and key in seen:
                    raise DuplicateKeyError(f"cannot build unique index {name}: duplicates")
                if key is not None:
                    seen.add(key)
        for doc_id, doc in self._docs.items():
            index.add(doc, self._seqs[doc_id])
        self._indexes[name] = index
        return name

    async def insert_one(self, document: dict, **_: Any) -> InsertOneResult:
        doc = _normalize(document)  # a new document: containers rebuilt, leaves immutable
        doc.setdefault("_id", ObjectId())
        self._check_unique(doc)
        self._store(doc)
        document.setdefault("_id", doc["_id"])
        return InsertOneResult(doc["_id"])

    async def insert_many(self, documents: Iterable[dict], **_: Any) -> list[Any]:
        return [(await self.insert_one(d)).inserted_id for d in documents]

    async def find_one(self, filter: Mapping[str, Any] | None = None, projection: Any = None,
                       *, sort: Any = None, **_: Any) -> dict | None:
        docs = self._select(filter, sort, 1)
        return clone(_project(docs[0], projection)) if docs else None

    def find(self, filter: Mapping[str, Any] | None = None, projection: Any = None, *,
             sort: Any = None, skip: int = 0, limit: int = 0, **_: Any) -> Cursor:
        cursor = Cursor(self, filter, projection)
        if sort:
            cursor.sort(sort)
        return cursor.skip(skip).limit(limit)

    async def count_documents(self, filter: Mapping[str, Any] | None = None, **_: Any) -> int:
        key = repr(filter)
        found = self._counts.get(key)
        if found is None:
            found = self._counts[key] = plan.count(self, filter)
        return found

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
        return clone(_project(doc, projection)) if doc is not None else None

    async def find_one_and_delete(self, filter: Mapping[str, Any], projection: Any = None,
                                  *, sort: Any = None, **_: Any) -> dict | None:
        docs = self._select(filter, sort, 1)
        if not docs:
            return None
        return clone(_project(self._drop(docs[0]["_id"]), projection))

    async def delete_one(self, filter: Mapping[str, Any], **_: Any) -> DeleteResult:
        docs = self._select(filter, None, 1)[:1]
        for doc in docs:
            self._drop(doc["_id"])
        return DeleteResult(len(docs))

    async def delete_many(self, filter: Mapping[str, Any], **_: Any) -> DeleteResult:
        docs = self._select(filter)
        for doc in docs:
            self._drop(doc["_id"])
        return DeleteResult(len(docs))

    def purge_expired(self, now: datetime) -> int:
        removed = 0
        for index in list(self._indexes.values()):
            if index.ttl is None:
                continue
            limit = now - timedelta(seconds=index.ttl)
            if index.ordered and index.keys[0][1] > 0:
                expired = index.expired(limit)
            else:
                field = index.keys[0][0]
                expired = [d["_id"] for d in self._docs.values()
                           if isinstance(v := _get(d, field), datetime) and v <= limit]
            for doc_id in expired:
                if doc_id in self._docs:
                    self._drop(doc_id)
                    removed += 1
        return removed
