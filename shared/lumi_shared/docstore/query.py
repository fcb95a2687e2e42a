"""Query, update, sort and projection semantics of the in-process store (MongoDB's rules for
the operators Lumi uses)."""

import copy
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

_MISSING = object()


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
