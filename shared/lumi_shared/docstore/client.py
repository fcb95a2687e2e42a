"""Client and databases of the in-process store, persisted per database as a snapshot plus an
append-only journal (see `journal`)."""

import asyncio
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..loop import BackgroundLoop
from .collection import InMemoryCollection
from .journal import DatabaseJournal

PURGE_INTERVAL = 2.0


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
    """Stand-in for `AsyncMongoClient`; with `path`, each database persists as a snapshot plus
    an append-only journal in `path/<db>/` (see `journal`), flushed every `flush_interval`."""

    def __init__(self, path: str | Path | None = None, flush_interval: float = 0.5) -> None:
        self.path = Path(path) if path else None
        self.flush_interval = flush_interval
        self._databases: dict[str, InMemoryDatabase] = {}
        self._journals: dict[str, DatabaseJournal] = {}
        self._loading = False
        self._maintenance: BackgroundLoop | None = None
        self._inflight: asyncio.Future | None = None
        self._purged_at = time.monotonic()
        if self.path and self.path.is_dir():
            self._load_all(self.path)

    def get_database(self, name: str) -> InMemoryDatabase:
        if name not in self._databases:
            self._databases[name] = InMemoryDatabase(self, name)
        return self._databases[name]

    __getitem__ = get_database

    @property
    def admin(self) -> InMemoryDatabase:
        return self.get_database("admin")

    # -- persistence

    def _journal(self, name: str) -> DatabaseJournal:
        if name not in self._journals:
            assert self.path is not None
            self._journals[name] = DatabaseJournal(self.path / name)
        return self._journals[name]

    def _record(self, db: str, collection: str, doc: dict | None, doc_id: Any) -> None:
        if self.path is not None and not self._loading:
            self._journal(db).pending.append((collection, doc, doc_id))

    def _load_all(self, path: Path) -> None:
        names = {p.name for p in path.iterdir() if p.is_dir()}
        names |= {p.stem for p in path.glob("*.json")}
        for name in sorted(names):
            journal = self._journal(name)
            state = journal.recover()
            legacy = path / f"{name}.json"
            if legacy.exists():
                state = state or journal.import_legacy(legacy)
                legacy.unlink(missing_ok=True)
            self._loading = True
            try:
                db = self.get_database(name)
                for coll_name, docs in state.items():
                    coll = db.get_collection(coll_name)
                    for doc in docs.values():
                        coll._store(doc)
            finally:
                self._loading = False

    def purge_expired(self) -> int:
        now = datetime.now(UTC)
        return sum(c.purge_expired(now) for db in list(self._databases.values())
                   for c in list(db._collections.values()))

    def flush(self) -> None:
        """Append every queued record now, in this thread (shutdown, tests)."""
        for journal in self._journals.values():
            segment, records = journal.segment, journal.pending
            journal.pending = []
            journal.append(segment, records)

    async def flush_async(self) -> None:
        """Append queued records in a worker thread; compact a journal that has grown."""
        for name, journal in list(self._journals.items()):
            if journal.pending:
                segment, records = journal.segment, journal.pending
                journal.pending = []
                await asyncio.to_thread(journal.append, segment, records)
            if journal.wants_compaction():
                segment, records = journal.rotate()
                collections = self.get_database(name)._collections
                state = {c: dict(coll._docs) for c, coll in collections.items()}
                await asyncio.to_thread(_compact, journal, segment, records, state)

    async def _maintain(self) -> None:
        now = time.monotonic()
        if now - self._purged_at >= PURGE_INTERVAL:  # TTL indexes, as before: every 2 s
            self._purged_at = now
            self.purge_expired()
        # Shielded: stopping the loop must not abandon a batch half-way to the worker thread.
        self._inflight = asyncio.ensure_future(self.flush_async())
        await asyncio.shield(self._inflight)

    def start_maintenance(self, interval: float | None = None) -> None:
        if interval is not None:
            self.flush_interval = interval
        if self._maintenance is None:
            self._maintenance = BackgroundLoop("docstore-maintenance", self._maintain,
                                               interval=self.flush_interval)
            self._maintenance.start()

    async def aclose(self) -> None:
        if self._maintenance:
            await self._maintenance.stop()
            self._maintenance = None
        if self._inflight is not None and not self._inflight.done():
            await self._inflight
        self.flush()

    async def close(self) -> None:
        await self.aclose()


def _compact(journal: DatabaseJournal, segment: int, records: list, state: dict) -> None:
    journal.append(segment, records)
    journal.write_snapshot(segment + 1, state)
