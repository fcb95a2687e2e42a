"""The session cookie: HttpOnly, SameSite=Lax, Path=/, Secure (with the `__Host-` prefix)
outside the embedded and dev profiles; the token is also returned in the body for header
clients."""

from fastapi import Response

from ..config import Settings


def set_session_cookie(response: Response, settings: Settings, token: str) -> None:
    response.set_cookie(settings.session_cookie_name, token,
                        max_age=settings.SESSION_TTL_SECONDS, path="/",
                        secure=settings.cookie_secure, httponly=True, samesite="lax")


def clear_session_cookie(response: Response, settings: Settings) -> None:
    response.delete_cookie(settings.session_cookie_name, path="/",
                           secure=settings.cookie_secure, httponly=True, samesite="lax")
