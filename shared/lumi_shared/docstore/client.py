"""Client and databases of the in-process store, persisted as one JSON file per database."""


import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bson import json_util

from ..loop import BackgroundLoop
from .collection import InMemoryCollection
from .query import _normalize


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
        self._maintenance: BackgroundLoop | None = None
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

    async def _maintain(self) -> None:
        self.purge_expired()
        self.flush()

    def start_maintenance(self, interval: float = 2.0) -> None:
        if self._maintenance is None:
            self._maintenance = BackgroundLoop("docstore-maintenance", self._maintain,
                                               interval=interval)
            self._maintenance.start()

    async def aclose(self) -> None:
        if self._maintenance:
            await self._maintenance.stop()
            self._maintenance = None
        self.flush()

    async def close(self) -> None:
        await self.aclose()
