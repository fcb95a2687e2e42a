"""Dev mailers: a JSON-lines outbox file (embedded mode) or the log (dev profile only)."""

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path

import structlog

from . import MailMessage

log = structlog.get_logger("lumi.auth.mail")


class JsonlMailer:
    """Appends one JSON object per message to `path` (read by people trying the app locally)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _append(self, line: str) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as fh:
            fh.write(line + "\n")

    async def send(self, message: MailMessage) -> None:
        record = {"to": message.to, "subject": message.subject, "body": message.body,
                  "sent_at": datetime.now(UTC).isoformat()}
        await asyncio.to_thread(self._append, json.dumps(record, ensure_ascii=False))


class LogMailer:
    """Logs the message; the body (with the code) only when `reveal` (dev profile)."""

    def __init__(self, *, reveal: bool) -> None:
        self.reveal = reveal

    async def send(self, message: MailMessage) -> None:
        log.info("dev_mail", to=message.to, subject=message.subject,
                 body=message.body if self.reveal else "[hidden outside dev]")
