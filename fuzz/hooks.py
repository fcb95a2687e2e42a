"""schemathesis hooks of `make fuzz` (loaded through SCHEMATHESIS_HOOKS): one extra check."""

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
