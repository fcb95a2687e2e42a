"""Outgoing mail: the message type, the adapter chosen by settings, and background dispatch.

Mail is sent off the request path so that asking for a code takes the same time whatever
happens next (no account enumeration by timing, no SMTP latency in the answer).
"""

import asyncio
from dataclasses import dataclass
from typing import Protocol

import structlog

from ...config import Settings
from ...domain import CodePurpose

log = structlog.get_logger("lumi.auth.mail")

_SUBJECTS = {
    CodePurpose.LOGIN: "Your Lumi sign-in code",
    CodePurpose.REGISTER: "Your Lumi registration code",
    CodePurpose.MODIFY_PASSWORD: "Your Lumi verification code",
}


@dataclass(frozen=True)
class MailMessage:
    to: str
    subject: str
    body: str

    def __post_init__(self) -> None:
        for value in (self.to, self.subject):
            if any(ch in value for ch in "\r\n"):
                raise ValueError("mail headers must not contain line breaks")


class Mailer(Protocol):
    async def send(self, message: MailMessage) -> None: ...


def code_message(to: str, code: str, purpose: CodePurpose, ttl_seconds: int) -> MailMessage:
    minutes = max(1, ttl_seconds // 60)
    body = (f"Your Lumi code is {code}\n\n"
            f"It expires in {minutes} minutes and works once. If you did not ask for it, "
            "you can ignore this message.\n")
    return MailMessage(to=to, subject=_SUBJECTS[purpose], body=body)


def create_mailer(settings: Settings) -> Mailer:
    if settings.SMTP_URL:
        from .smtp import SmtpMailer

        return SmtpMailer(settings.SMTP_URL, sender=settings.MAIL_FROM,
                          timeout=settings.SMTP_TIMEOUT)
    if not settings.is_dev:
        raise ValueError("SMTP_URL must be set outside the dev profiles")
    from .dev import JsonlMailer, LogMailer

    if settings.LUMI_ENV == "embedded":
        return JsonlMailer(settings.LUMI_DATA_DIR / "mail" / "outbox.jsonl")
    return LogMailer(reveal=settings.codes_visible)


class MailDispatcher:
    """Sends in background tasks; failures are logged (the user can ask for a new code)."""

    def __init__(self, mailer: Mailer) -> None:
        self.mailer = mailer
        self._tasks: set[asyncio.Task] = set()

    def dispatch(self, message: MailMessage) -> None:
        task = asyncio.get_running_loop().create_task(self._send(message))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _send(self, message: MailMessage) -> None:
        try:
            await self.mailer.send(message)
        except Exception as exc:
            log.warning("mail_send_failed", error_type=type(exc).__name__)

    async def drain(self, timeout: float = 10.0) -> None:
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=timeout)


__all__ = ["MailDispatcher", "MailMessage", "Mailer", "code_message", "create_mailer"]
