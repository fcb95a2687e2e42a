"""schemathesis hooks of `make fuzz` (loaded through SCHEMATHESIS_HOOKS): one extra check."""

import os
import re

import schemathesis

_TRACE = re.compile(r"Traceback \(most recent call last\)|File \"[^\"]+\.py\", line \d+|"
                    r"\b(?:[A-Z]\w*(?:Error|Exception)): .*\n\s+at |site-packages/")


@schemathesis.check
def no_stack_trace(ctx, response, case):
    """No response body (of any status) carries a Python stack trace or a source path."""
    text = response.content.decode("utf-8", errors="replace")
    match = _TRACE.search(text)
    if match:
        raise AssertionError(f"Stack trace in the response body: {match.group(0)!r}")
    return None


@schemathesis.auth()
class Session:
    """The logged-in run's session (FUZZ_AUTH, from the real code flow). Logout calls carry a
    session of their own (FUZZ_LOGOUT_AUTH): the first one revokes it, the later ones present
    a revoked one; with the run's session they would log the fuzzer out and leave every later
    operation a shallow 401."""

    def get(self, case, ctx):
        return os.environ.get("FUZZ_AUTH")

    def set(self, case, data, ctx):
        if not data:
            return
        if case.operation.path == "/api/auth/logout":
            data = os.environ.get("FUZZ_LOGOUT_AUTH") or data
        case.headers = {**(case.headers or {}), "Authorization": data}


SSE_SECONDS = 2.0


@schemathesis.hook
def before_call(ctx, case, kwargs):  # the request's own kwargs dict (`**kwargs` is a copy)
    """A live task's event stream stays open: read it for SSE_SECONDS, not the run's request
    timeout (the first frames, task:init and status, come at once)."""
    if case.operation.path == "/api/tasks/{task_id}/events":
        kwargs["timeout"] = SSE_SECONDS
