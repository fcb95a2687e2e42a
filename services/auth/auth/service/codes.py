"""Use cases of one-time e-mail codes: send one, check one."""

from collections.abc import Collection
from datetime import timedelta

import structlog

from lumi_shared.errors import RateLimited

from ..config import Settings
from ..domain import Clock, CodePurpose, InvalidCode
from ..providers.mail import MailDispatcher, code_message
from ..repository import CodeRepository, Limit, RateLimiter, StoredCode
from ..security import code_matches, hash_code, new_code, new_id, opaque_key

log = structlog.get_logger("lumi.auth.codes")

HOUR, DAY = 3600, 86400
TOO_MANY_CODES = "Too many codes requested, try again later"
TOO_MANY_FAILURES = "Too many wrong codes, try again later"
CODE_GONE = "Code expired or already used; request a new one"


def _failures(settings: Settings) -> Limit:
    return Limit("code_failures", settings.CODE_FAILURES_PER_EMAIL_PER_DAY, DAY)


def _ip_failures(settings: Settings) -> Limit:
    """Wrong codes from one address, whatever e-mail addresses they were tried on."""
    return Limit("code_failures_ip", settings.CODE_FAILURES_PER_IP_PER_HOUR, HOUR)


def _cooldown_error(code: StoredCode | None, now_ts: float, cooldown: timedelta) -> RateLimited:
    wait = cooldown.total_seconds()
    if code is not None:
        wait = (code.sent_at + cooldown).timestamp() - now_ts
    return RateLimited("Please wait before asking for another code",
                       retry_after=max(1, int(wait + 0.999)))


async def send_code(*, codes: CodeRepository, limiter: RateLimiter, mail: MailDispatcher,
                    settings: Settings, clock: Clock, email: str, purpose: CodePurpose,
                    client_ip: str) -> None:
    """Mail a fresh code (replacing any previous one). Nothing here depends on whether an
    account exists, so the answer cannot reveal it."""
    now = clock()
    cooldown = timedelta(seconds=settings.CODE_RESEND_COOLDOWN_SECONDS)
    current = await codes.get(email)
    if current is not None and current.sent_at + cooldown > now:
        raise _cooldown_error(current, now.timestamp(), cooldown)
    await limiter.hit(Limit("send_code_ip", settings.CODE_SENDS_PER_IP_PER_HOUR, HOUR),
                      opaque_key(client_ip), now, TOO_MANY_CODES)
    await limiter.hit(Limit("send_code_email", settings.CODE_SENDS_PER_EMAIL_PER_HOUR, HOUR),
                      opaque_key(email), now, TOO_MANY_CODES)
    code, code_id = new_code(settings.CODE_LENGTH), new_id()
    stored = StoredCode(email=email, code_id=code_id,
                        code_hash=hash_code(settings.CODE_HMAC_KEY, email, code_id, code),
                        purpose=purpose, attempts=0, sent_at=now,
                        expires_at=now + timedelta(seconds=settings.CODE_TTL_SECONDS),
                        used=False)
    if not await codes.replace(stored, cooldown):
        raise _cooldown_error(await codes.get(email), now.timestamp(), cooldown)
    mail.dispatch(code_message(email, code, purpose, settings.CODE_TTL_SECONDS))
    log.info("code_sent", purpose=purpose.value, code_length=len(code))


async def check_code(*, codes: CodeRepository, limiter: RateLimiter, settings: Settings,
                     clock: Clock, email: str, code: str,
                     purposes: Collection[CodePurpose], client_ip: str,
                     registering: bool = False, after_register: bool = False) -> None:
    """Consume the live code of `email` or raise `InvalidCode` (400).

    The mobile app registers and then logs in with the same code: `registering` leaves the
    code good for exactly one more sign-in by the same address within its validity, which
    only a call with `after_register` (login) can spend. Everything else stays single-use.
    Wrong guesses are counted by a conditional `$inc` (attempts < max), so however many
    guesses race, at most CODE_MAX_ATTEMPTS are ever compared against one code.
    """
    now = clock()
    failures, ip_failures = _failures(settings), _ip_failures(settings)
    await limiter.check(ip_failures, opaque_key(client_ip), now, TOO_MANY_FAILURES)
    await limiter.check(failures, opaque_key(email), now, TOO_MANY_FAILURES)
    stored = await codes.get(email)
    max_attempts = settings.CODE_MAX_ATTEMPTS
    followup = stored is not None and stored.used and stored.followup and after_register
    if (stored is None or (stored.used and not followup) or stored.purpose not in purposes
            or stored.expires_at <= now or stored.attempts >= max_attempts):
        raise InvalidCode(CODE_GONE)
    if code_matches(settings.CODE_HMAC_KEY, email, stored.code_id, code, stored.code_hash):
        if followup:
            spent = await codes.consume_followup(email, stored.code_id, max_attempts, now)
        else:
            spent = await codes.consume(email, stored.code_id, max_attempts, now,
                                        followup=registering)
        if spent:
            return
        raise InvalidCode(CODE_GONE)
    if not await codes.count_failure(email, stored.code_id, max_attempts):
        raise InvalidCode(CODE_GONE)
    for rule, key in ((failures, email), (ip_failures, client_ip)):
        try:
            await limiter.hit(rule, opaque_key(key), now, TOO_MANY_FAILURES)
        except RateLimited:
            pass  # this guess is answered as wrong; the next request is refused by `check`
    log.info("code_rejected")
    raise InvalidCode("Wrong code")
