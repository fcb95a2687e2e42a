"""In-process document store with the subset of PyMongo's async API that Lumi's repositories use.

It lets the same `MongoXRepository` code run in embedded mode and in tests without a mongod.
Every operation runs without yielding to the event loop, so each one is atomic, like a
single-document write in MongoDB; unique indexes raise PyMongo's own `DuplicateKeyError`.
Datetimes are truncated to milliseconds, as MongoDB stores them. Collections can be persisted
to a folder (one JSON file per database) and TTL indexes are honoured by `purge_expired`.
"""

import asyncio
import copy
import os
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bson import ObjectId, json_util
from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

_MISSING = object()


# ---------------------------------------------------------------- values and paths


def _normalize(value: Any) -> Any:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.replace(microsecond=value.microsecond // 1000 * 1000)
    if isinstance(value, Mapping):
        return {k: _normalize(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_normalize(v) for v in value]
    return value


def _type_rank(value: Any) -> int:
    if value is None or value is _MISSING:
        return 0
    if isinstance(value, bool):
        return 5
    if isinstance(value, int | float):
        return 1
    if isinstance(value, str):
        return 2
    if isinstance(value, dict):
        return 3
    if isinstance(value, list):
        return 4
    if isinstance(value, datetime):
        return 6
    return 7


def _sort_key(value: Any) -> tuple:
    rank = _type_rank(value)
    if rank in (0, 3, 4):
        return (rank, str(value))
    return (rank, value)


def _get_values(doc: Any, path: list[str]) -> list[Any]:
    """All values at a dotted path, traversing arrays like MongoDB does."""
    if not path:
        return [doc]
    head, rest = path[0], path[1:]
    if isinstance(doc, dict):
        if head not in doc:
            return [_MISSING]
        return _get_values(doc[head], rest)
    if isinstance(doc, list):
        if head.isdigit():
            idx = int(head)
            return _get_values(doc[idx], rest) if idx < len(doc) else [_MISSING]
        found: list[Any] = []
        for item in doc:
            if isinstance(item, dict | list):
                found.extend(v for v in _get_values(item, path) if v is not _MISSING)
        return found or [_MISSING]
    return [_MISSING]


def _candidates(values: list[Any]) -> list[Any]:
    """Values plus the elements of array values (equality matches array members)."""
    out: list[Any] = []
    for v in values:
        out.append(v)
        if isinstance(v, list):
            out.extend(v)
    return out


def _compare(a: Any, b: Any, op: str) -> bool:
    if a is _MISSING or a is None or b is None or _type_rank(a) != _type_rank(b):
        return False
    try:
        return {"$gt": a > b, "$gte": a >= b, "$lt": a < b, "$lte": a <= b}[op]
    except TypeError:
        return False


_PLAIN = (str, int, float, bool)


def _eq(a: Any, b: Any) -> bool:
    if b is None:
        return a is None or a is _MISSING
    if a is _MISSING:
        return False
    if type(a) in _PLAIN and type(b) in _PLAIN:
        return a == b
    return _normalize(a) == _normalize(b)


def _match_condition(values: list[Any], cond: Any) -> bool:
    if isinstance(cond, dict) and cond and all(k.startswith("$") for k in cond):
        return all(_match_operator(values, op, arg) for op, arg in cond.items())
    if isinstance(cond, re.Pattern):
        return any(isinstance(v, str) and cond.search(v) for v in _candidates(values))
    return any(_eq(v, cond) for v in _candidates(values))


def _match_operator(values: list[Any], op: str, arg: Any) -> bool:
    cands = _candidates(values)
    if op == "$eq":
        return any(_eq(v, arg) for v in cands)
    if op == "$ne":
        return not any(_eq(v, arg) for v in cands)
    if op in ("$gt", "$gte", "$lt", "$lte"):
        arg = _normalize(arg)
        return any(_compare(v, arg, op) for v in cands)
    if op == "$in":
        return any(_eq(v, a) for v in cands for a in arg)
    if op == "$nin":
        return not any(_eq(v, a) for v in cands for a in arg)
    if op == "$exists":
        present = any(v is not _MISSING for v in values)
        return present == bool(arg)
    if op == "$elemMatch":
        return any(
            isinstance(v, list) and any(isinstance(e, dict) and _matches(e, arg) for e in v)
            for v in values
        )
    if op == "$size":
        return any(isinstance(v, list) and len(v) == arg for v in values)
    if op == "$not":
        return not _match_condition(values, arg)
    if op == "$regex":
        pattern = re.compile(arg)
        return any(isinstance(v, str) and pattern.search(v) for v in cands)
    raise NotImplementedError(f"query operator {op} is not supported by the in-process store")


def _matches(doc: dict, flt: Mapping[str, Any] | None) -> bool:
    for key, cond in (flt or {}).items():
        if key == "$and":
            if not all(_matches(doc, f) for f in cond):
                return False
        elif key == "$or":
            if not any(_matches(doc, f) for f in cond):
                return False
        elif key == "$nor":
            if any(_matches(doc, f) for f in cond):
                return False
        elif not _match_condition(_get_values(doc, key.split(".")), cond):
            return False
    return True


def _compile(flt: Mapping[str, Any] | None):
    """A predicate for `flt`: top-level equality on plain values is checked directly (the
    common case of a listing), anything else by the general matcher."""
    if not flt:
        return lambda doc: True
    plain = [(k, v) for k, v in flt.items()
             if not k.startswith("$") and "." not in k and type(v) in _PLAIN]
    rest = {k: v for k, v in flt.items() if (k, v) not in plain}

    def predicate(doc: dict) -> bool:
        for key, value in plain:
            found = doc.get(key, _MISSING)
            if found != value and not (isinstance(found, list) and value in found):
                return False
        return not rest or _matches(doc, rest)

    return predicate


def _parent(doc: dict, path: list[str], create: bool) -> tuple[Any, str] | None:
    node: Any = doc
    for part in path[:-1]:
        if isinstance(node, list) and part.isdigit():
            idx = int(part)
            if idx >= len(node):
                return None
            node = node[idx]
        elif isinstance(node, dict):
            if part not in node:
                if not create:
                    return None
                node[part] = {}
            node = node[part]
        else:
            return None
    return node, path[-1]


def _set(doc: dict, path: str, value: Any) -> None:
    found = _parent(doc, path.split("."), create=True)
    if found is None:
        raise ValueError(f"cannot set {path}")
    node, last = found
    if isinstance(node, list) and last.isdigit():
        idx = int(last)
        while len(node) <= idx:
            node.append(None)
        node[idx] = value
    else:
        node[last] = value


def _get(doc: dict, path: str) -> Any:
    found = _parent(doc, path.split("."), create=False)
    if found is None:
        return _MISSING
    node, last = found
    if isinstance(node, list) and last.isdigit():
        idx = int(last)
        return node[idx] if idx < len(node) else _MISSING
    return node.get(last, _MISSING) if isinstance(node, dict) else _MISSING


def _unset(doc: dict, path: str) -> None:
    found = _parent(doc, path.split("."), create=False)
    if found and isinstance(found[0], dict):
        found[0].pop(found[1], None)


def _apply_update(doc: dict, update: Mapping[str, Any], inserting: bool) -> None:
    for op, fields in update.items():
        if op == "$setOnInsert":
            if inserting:
                for path, value in fields.items():
                    _set(doc, path, copy.deepcopy(value))
            continue
        for path, arg in fields.items():
            current = _get(doc, path)
            if op == "$set":
                _set(doc, path, copy.deepcopy(arg))
            elif op == "$unset":
                _unset(doc, path)
            elif op == "$inc":
                _set(doc, path, (0 if current is _MISSING else current) + arg)
            elif op in ("$max", "$min"):
                arg = _normalize(arg)
                better = current is _MISSING or (arg > current if op == "$max" else arg < current)
                if better:
                    _set(doc, path, arg)
            elif op in ("$push", "$addToSet"):
                items = list(current) if isinstance(current, list) else []
                each = arg["$each"] if isinstance(arg, dict) and "$each" in arg else [arg]
                for item in each:
                    if op == "$push" or item not in items:
                        items.append(copy.deepcopy(item))
                if isinstance(arg, dict) and "$slice" in arg:
                    n = arg["$slice"]
                    items = items[n:] if n < 0 else items[:n]
                _set(doc, path, items)
            elif op == "$pull":
                if isinstance(current, list):
                    if isinstance(arg, dict):
                        kept = [i for i in current if not (isinstance(i, dict) and _matches(i, arg))]
                    else:
                        kept = [i for i in current if i != arg]
                    _set(doc, path, kept)
            else:
                raise NotImplementedError(f"update operator {op} is not supported")


def _project(doc: dict, projection: Mapping[str, Any] | None) -> dict:
    if not projection:
        return doc
    include = {k for k, v in projection.items() if v}
    if include:
        out = {k: doc[k] for k in include if k in doc}
        if projection.get("_id", 1) and "_id" in doc:
            out["_id"] = doc["_id"]
        return out
    return {k: v for k, v in doc.items() if k not in projection}


def _sort_docs(docs: list[dict], sort: Any) -> list[dict]:
    if not sort:
        return docs
    if isinstance(sort, str):
        sort = [(sort, 1)]
    elif isinstance(sort, Mapping):
        sort = list(sort.items())
    for key, direction in reversed(list(sort)):
        path = key.split(".")
        if len(path) == 1:
            docs.sort(key=lambda d, k=key: _sort_key(d.get(k)), reverse=direction < 0)
        else:
            docs.sort(key=lambda d, p=path: _sort_key(_get_values(d, p)[0]), reverse=direction < 0)
    return docs


# ---------------------------------------------------------------- results


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


# ---------------------------------------------------------------- collection


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


class InMemoryDatabase:
    def __init__(self, client: "InMemoryClient", name: str) -> None:
        self.client, self.name = client, name
        self._collections: dict[str, InMemoryCollection] = {}

    def get_collection(self, name: str) -> InMemoryCollection:
        if name not in self._collections:
            self._collections[name] = InMemoryCollection(self, name)
        return self._collections[name]

    __getitem__ = get_collection

    def __getattr__(self, name: str) -> InMemoryCollection:
        if name.startswith("_"):
            raise AttributeError(name)
        return self.get_collection(name)

    async def command(self, name: str, *_: Any, **__: Any) -> dict:
        if name != "ping":
            raise NotImplementedError(name)
        return {"ok": 1.0}


class InMemoryClient:
    """Stand-in for `AsyncMongoClient`; with `path`, databases persist as JSON files there."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path else None
        self._databases: dict[str, InMemoryDatabase] = {}
        self._dirty = False
        self._autosave: asyncio.Task | None = None
        if self.path and self.path.is_dir():
            for file in self.path.glob("*.json"):
                self._load(file)

    def get_database(self, name: str) -> InMemoryDatabase:
        if name not in self._databases:
            self._databases[name] = InMemoryDatabase(self, name)
        return self._databases[name]

    __getitem__ = get_database

    @property
    def admin(self) -> InMemoryDatabase:
        return self.get_database("admin")

    def _load(self, file: Path) -> None:
        data = json_util.loads(file.read_text(), json_options=json_util.CANONICAL_JSON_OPTIONS)
        db = self.get_database(file.stem)
        for coll_name, docs in data.items():
            coll = db.get_collection(coll_name)
            for doc in docs:
                coll._docs[doc["_id"]] = _normalize(doc)

    def purge_expired(self) -> int:
        now = datetime.now(UTC)
        removed = sum(c.purge_expired(now) for db in self._databases.values()
                      for c in db._collections.values())
        self._dirty = self._dirty or bool(removed)
        return removed

    def flush(self) -> None:
        """Write every database to disk (atomic rename per file)."""
        if not self.path or not self._dirty:
            return
        self.path.mkdir(parents=True, exist_ok=True)
        for name, db in self._databases.items():
            data = {c: list(coll._docs.values()) for c, coll in db._collections.items()}
            tmp = self.path / f".{name}.json.tmp"
            tmp.write_text(json_util.dumps(data, json_options=json_util.CANONICAL_JSON_OPTIONS))
            os.replace(tmp, self.path / f"{name}.json")
        self._dirty = False

    async def _maintain(self, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            self.purge_expired()
            self.flush()

    def start_maintenance(self, interval: float = 2.0) -> None:
        if self._autosave is None:
            self._autosave = asyncio.get_running_loop().create_task(self._maintain(interval))

    async def aclose(self) -> None:
        if self._autosave:
            self._autosave.cancel()
            self._autosave = None
        self.flush()

    async def close(self) -> None:
        await self.aclose()
