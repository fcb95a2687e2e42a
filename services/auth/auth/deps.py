"""Everything a request handler needs, built once by the composition root."""

from dataclasses import dataclass

from lumi_shared.messaging import OutboxRelay

from .config import Settings
from .domain import Clock
from .providers.mail import MailDispatcher
from .repository import Repositories
from .service.stats import StatsSource


@dataclass
class Deps:
    settings: Settings
    clock: Clock
    repos: Repositories
    mail: MailDispatcher
    stats: StatsSource
    relay: OutboxRelay | None
