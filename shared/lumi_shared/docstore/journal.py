"""Persistence of the in-process store: per database, a snapshot plus an append-only journal.

Layout under the store's folder, one directory per database:
    <db>/snapshot-<N>.bson   every document as of the start of segment N (BSON records)
    <db>/journal-<M>.bson    records appended after that (M >= N), each a BSON document
                             {"c": collection, "d": document} (put) or {"c": ..., "x": _id} (delete)

Writes only queue a record (a reference to the immutable stored document) on the event loop.
`flush` encodes and appends the queued records in a worker thread and fsyncs the journal before
returning: fsync policy = once per flush interval (0.5 s by default), so a kill -9 loses at
most the writes of the last unflushed interval. When a journal has grown past
max(4 MiB, 2 x the last snapshot), compaction captures the collections (a dict copy per
collection, on the loop, O(n) pointers and no document copies), starts journal N+1 and writes
snapshot N+1 in the thread (temp file, fsync, rename), then deletes the older files. Start-up
loads the newest complete snapshot and replays the journals from it; a torn record at a
journal's end (a crash mid-write) is cut off. A legacy `<db>.json` file is imported once.
"""

import os
import re
import struct
from pathlib import Path
from typing import Any

import bson
from bson import json_util
from bson.codec_options import CodecOptions
from bson.errors import InvalidBSON

from .query import _normalize

_OPTIONS = CodecOptions(tz_aware=True)
_FILE = re.compile(r"^(snapshot|journal)-(\d+)\.bson$")
MIN_COMPACT_BYTES = 4 << 20

Record = tuple[str, dict | None, Any]  # collection, document (None: deleted), _id


def _encode(records: list[Record]) -> bytes:
    return b"".join(bson.encode({"c": c, "d": d} if d is not None else {"c": c, "x": i},
                                codec_options=_OPTIONS) for c, d, i in records)


def _read(file: Path, apply) -> int:
    """Apply every complete record of `file`; cut a torn tail off. Returns the bytes kept."""
    data = file.read_bytes()
    at = 0
    while at + 4 <= len(data):
        size = struct.unpack_from("<i", data, at)[0]
        if size < 5 or at + size > len(data):
            break
        try:
            record = bson.decode(data[at:at + size], codec_options=_OPTIONS)
        except InvalidBSON:
            break
        apply(record)
        at += size
    if at < len(data):
        with file.open("r+b") as handle:
            handle.truncate(at)
    return at


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class DatabaseJournal:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.segment = 1
        self.journal_bytes = 0
        self.snapshot_bytes = 0
        self.pending: list[Record] = []

    # -- start-up

    def recover(self) -> dict[str, dict[Any, dict]]:
        """The collections as persisted: {collection: {_id: document}}."""
        state: dict[str, dict[Any, dict]] = {}

        def apply(record: dict) -> None:
            docs = state.setdefault(record["c"], {})
            if "d" in record:
                doc = _normalize(record["d"])
                docs[doc["_id"]] = doc
            else:
                docs.pop(record["x"], None)

        files = self._files()
        snapshots = [n for kind, n in files if kind == "snapshot"]
        base = max(snapshots, default=0)
        if base:
            self.snapshot_bytes = _read(self.folder / f"snapshot-{base}.bson", apply)
        journals = sorted(n for kind, n in files if kind == "journal" and n >= base)
        for n in journals:
            self.journal_bytes += _read(self.folder / f"journal-{n}.bson", apply)
        self.segment = max([base, *journals, 1])
        self._remove_before(base)
        return state

    def import_legacy(self, file: Path) -> dict[str, dict[Any, dict]]:
        data = json_util.loads(file.read_text(), json_options=json_util.CANONICAL_JSON_OPTIONS)
        state = {c: {d["_id"]: _normalize(d) for d in docs} for c, docs in data.items()}
        self.write_snapshot(self.segment + 1, state)
        file.unlink()
        return state

    # -- background work (worker thread)

    def append(self, segment: int, records: list[Record]) -> None:
        if not records:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        blob = _encode(records)
        with (self.folder / f"journal-{segment}.bson").open("ab") as handle:
            handle.write(blob)
            handle.flush()
            os.fsync(handle.fileno())
        if segment == self.segment:
            self.journal_bytes += len(blob)

    def write_snapshot(self, segment: int, state: dict[str, Any]) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        tmp = self.folder / f".snapshot-{segment}.tmp"
        size = 0
        with tmp.open("wb") as handle:
            for coll, docs in state.items():
                for doc in (docs.values() if isinstance(docs, dict) else docs):
                    blob = bson.encode({"c": coll, "d": doc}, codec_options=_OPTIONS)
                    handle.write(blob)
                    size += len(blob)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, self.folder / f"snapshot-{segment}.bson")
        _fsync_dir(self.folder)
        self.snapshot_bytes, self.segment = size, max(self.segment, segment)
        self._remove_before(segment)

    # -- on the loop

    def wants_compaction(self) -> bool:
        return self.journal_bytes > max(MIN_COMPACT_BYTES, 2 * self.snapshot_bytes)

    def rotate(self) -> tuple[int, list[Record]]:
        """Take the queued records for the current segment and start the next one."""
        records, self.pending = self.pending, []
        segment = self.segment
        self.segment += 1
        self.journal_bytes = 0
        return segment, records

    def _files(self) -> list[tuple[str, int]]:
        if not self.folder.is_dir():
            return []
        found = (_FILE.match(p.name) for p in self.folder.iterdir())
        return [(m.group(1), int(m.group(2))) for m in found if m]

    def _remove_before(self, segment: int) -> None:
        for kind, n in self._files():
            if n < segment:
                (self.folder / f"{kind}-{n}.bson").unlink(missing_ok=True)
