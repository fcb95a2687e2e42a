"""In-process document store with the subset of PyMongo's async API that Lumi's repositories use.

It lets the same `MongoXRepository` code run in embedded mode and in tests without a mongod.
Every operation runs without yielding to the event loop, so each one is atomic, like a
single-document write in MongoDB; unique indexes raise PyMongo's own `DuplicateKeyError`.
Datetimes are truncated to milliseconds, as MongoDB stores them. Collections can be persisted
to a folder (one JSON file per database) and TTL indexes are honoured by `purge_expired`.
"""

from .client import InMemoryClient, InMemoryDatabase
from .collection import InMemoryCollection
from .cursor import Cursor, DeleteResult, InsertOneResult, UpdateResult

__all__ = ["InMemoryClient", "InMemoryDatabase", "InMemoryCollection", "Cursor",
           "InsertOneResult", "UpdateResult", "DeleteResult"]
