"""Mail adapters: SMTP against a local aiosmtpd server, the dev outbox file, the log mailer."""

import json
import socket

import pytest
from aiosmtpd.controller import Controller
from structlog.testing import capture_logs

from auth.domain import CodePurpose
from auth.providers.mail import MailDispatcher, MailMessage, code_message, create_mailer
from auth.providers.mail.dev import JsonlMailer, LogMailer
from auth.providers.mail.smtp import SmtpMailer


class _Inbox:
    def __init__(self) -> None:
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_server():
    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        yield controller, inbox
    finally:
        controller.stop()


async def test_the_smtp_adapter_delivers_the_code_mail(smtp_server):
    controller, inbox = smtp_server
    mailer = SmtpMailer(f"smtp://127.0.0.1:{controller.port}", sender="Lumi <no-reply@lumi.test>")
    await mailer.send(code_message("ada@example.com", "123456", CodePurpose.LOGIN, 600))
    assert len(inbox.envelopes) == 1
    envelope = inbox.envelopes[0]
    assert envelope.mail_from == "no-reply@lumi.test"
    assert envelope.rcpt_tos == ["ada@example.com"]
    content = envelope.content.decode()
    assert "Subject: Your Lumi sign-in code" in content
    assert "123456" in content and "10 minutes" in content


async def test_the_smtp_adapter_is_selected_by_smtp_url(settings_factory, smtp_server):
    controller, inbox = smtp_server
    mailer = create_mailer(settings_factory(SMTP_URL=f"smtp://127.0.0.1:{controller.port}"))
    assert isinstance(mailer, SmtpMailer)
    dispatcher = MailDispatcher(mailer)
    dispatcher.dispatch(MailMessage("bob@example.com", "Hello", "Body"))
    await dispatcher.drain()
    assert inbox.envelopes[0].rcpt_tos == ["bob@example.com"]


def test_the_smtp_url_carries_tls_mode_and_credentials():
    mailer = SmtpMailer("smtps://user%40x:p%2Fw@mail.example.com", sender="a@b.c")
    assert (mailer.host, mailer.port, mailer.implicit_tls) == ("mail.example.com", 465, True)
    assert (mailer.username, mailer.password) == ("user@x", "p/w")
    with pytest.raises(ValueError):
        SmtpMailer("http://mail.example.com", sender="a@b.c")


@pytest.mark.parametrize("to, subject", [
    ("victim@example.com\r\nBcc: all@example.com", "Hi"),
    ("victim@example.com", "Hi\nBcc: all@example.com"),
])
def test_messages_with_line_breaks_in_headers_are_refused(to, subject):
    with pytest.raises(ValueError):
        MailMessage(to, subject, "body")


async def test_a_failing_mailer_is_logged_without_breaking_the_caller():
    class Broken:
        async def send(self, message):
            raise ConnectionRefusedError("smtp down")

    dispatcher = MailDispatcher(Broken())
    with capture_logs() as logs:
        dispatcher.dispatch(MailMessage("a@example.com", "s", "secret 123456"))
        await dispatcher.drain()
    assert [entry["event"] for entry in logs] == ["mail_send_failed"]
    assert "123456" not in repr(logs)


async def test_embedded_mode_appends_each_mail_to_the_outbox_file(settings_factory, tmp_path):
    mailer = create_mailer(settings_factory(LUMI_ENV="embedded", LUMI_DATA_DIR=tmp_path))
    assert isinstance(mailer, JsonlMailer)
    await mailer.send(code_message("a@example.com", "654321", CodePurpose.LOGIN, 600))
    await mailer.send(code_message("b@example.com", "111111", CodePurpose.REGISTER, 600))
    lines = (tmp_path / "mail" / "outbox.jsonl").read_text().splitlines()
    records = [json.loads(line) for line in lines]
    assert [r["to"] for r in records] == ["a@example.com", "b@example.com"]
    assert "654321" in records[0]["body"] and records[1]["subject"]


async def test_the_dev_log_mailer_shows_the_code_only_in_dev(settings_factory):
    message = code_message("a@example.com", "246810", CodePurpose.LOGIN, 600)
    for env, visible in (("dev", True), ("test", False)):
        mailer = create_mailer(settings_factory(LUMI_ENV=env))
        assert isinstance(mailer, LogMailer)
        with capture_logs() as logs:
            await mailer.send(message)
        assert ("246810" in repr(logs)) is visible


def test_prod_without_smtp_url_refuses_to_build_a_mailer(settings_factory):
    settings = settings_factory(LUMI_ENV="prod", IDENTITY_SECRET="s" * 40,
                                CODE_HMAC_KEY="k" * 40)
    with pytest.raises(ValueError, match="SMTP_URL"):
        create_mailer(settings)
