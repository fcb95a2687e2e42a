"""What the routes, handlers and tests reach, built once by the composition root (`main`)."""

from dataclasses import dataclass

from lumi_shared.messaging import OutboxRelay
from lumi_shared.storage import ObjectStorage

from .config import Settings
from .repository import MongoTaskRepository
from .sweeper import Sweeper
from .worker import ImageWorker


@dataclass
class Deps:
    """Everything the routes and tests reach through `app.state.generation`."""

    settings: Settings
    repo: MongoTaskRepository
    storage: ObjectStorage
    relay: OutboxRelay
    worker: ImageWorker
    sweeper: Sweeper
