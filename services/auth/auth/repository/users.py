"""Users: one document per e-mail address (unique index)."""

from datetime import datetime
from typing import Any, Protocol

from pymongo import ReturnDocument

from lumi_shared.mongo import upsert_returning

from ..domain import User
from ..security import new_id


class UserRepository(Protocol):
    async def upsert_on_login(self, email: str, now: datetime) -> tuple[User, bool]: ...
    async def get(self, user_id: str) -> User | None: ...
    async def get_many(self, user_ids: list[str]) -> list[User]: ...
    async def update_profile(self, user_id: str, changes: dict[str, Any],
                             now: datetime) -> User | None: ...


class MongoUserRepository:
    def __init__(self, collection: Any) -> None:
        self.collection = collection

    async def ensure_indexes(self) -> None:
        await self.collection.create_index("email", unique=True)

    async def upsert_on_login(self, email: str, now: datetime) -> tuple[User, bool]:
        """Create the account on its first login; returns (user, created)."""
        new_user_id = new_id()
        update = {
            "$setOnInsert": {"_id": new_user_id, "user_name": email.split("@", 1)[0],
                             "nick_name": None, "avatar": None, "gender": None,
                             "created_at": now},
            "$set": {"last_login_at": now, "updated_at": now},
        }
        doc = await upsert_returning(self.collection, {"email": email}, update)
        return User.from_doc(doc), doc["_id"] == new_user_id

    async def get(self, user_id: str) -> User | None:
        doc = await self.collection.find_one({"_id": user_id})
        return User.from_doc(doc) if doc else None

    async def get_many(self, user_ids: list[str]) -> list[User]:
        docs = await self.collection.find({"_id": {"$in": user_ids}}).to_list()
        return [User.from_doc(d) for d in docs]

    async def update_profile(self, user_id: str, changes: dict[str, Any],
                             now: datetime) -> User | None:
        doc = await self.collection.find_one_and_update(
            {"_id": user_id}, {"$set": {**changes, "updated_at": now}},
            return_document=ReturnDocument.AFTER)
        return User.from_doc(doc) if doc else None
