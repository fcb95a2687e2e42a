"""SMTP adapter (`SMTP_URL`: `smtp://[user:pass@]host[:port]` with STARTTLS when offered, or
`smtps://...` for implicit TLS)."""

from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

import aiosmtplib

from . import MailMessage


class SmtpMailer:
    def __init__(self, url: str, *, sender: str, timeout: float = 10.0) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError("SMTP_URL must look like smtp://host:port or smtps://host:port")
        self.implicit_tls = parts.scheme == "smtps"
        self.host = parts.hostname
        self.port = parts.port or (465 if self.implicit_tls else 25)
        self.username = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        self.sender = sender
        self.timeout = timeout

    def build(self, message: MailMessage) -> EmailMessage:
        # EmailMessage itself refuses CR/LF in header values: a second guard against injection.
        mail = EmailMessage()
        mail["From"] = self.sender
        mail["To"] = message.to
        mail["Subject"] = message.subject
        mail.set_content(message.body)
        return mail

    async def send(self, message: MailMessage) -> None:
        await aiosmtplib.send(
            self.build(message), hostname=self.host, port=self.port, username=self.username,
            password=self.password, use_tls=self.implicit_tls,
            start_tls=False if self.implicit_tls else None, timeout=self.timeout)
