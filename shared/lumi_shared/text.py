"""Free text from users (prompts, names): control characters are refused, not stored.

NUL, BEL, ESC and the other C0/C1 controls end up in logs, terminals, file names and other
clients' screens; a prompt may keep tab and line breaks, a one-line name nothing of them.
"""

import re

_ANY_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROL_BUT_LAYOUT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
CONTROL_MESSAGE = "Control characters are not allowed"
# JSON Schema `pattern`s of the same rules (so clients and fuzzers know them)
ONE_LINE_PATTERN = r"^[^\u0000-\u001f\u007f-\u009f]*$"
MULTI_LINE_PATTERN = r"^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]*$"


def has_control(value: str, *, multiline: bool = False) -> bool:
    return bool((_CONTROL_BUT_LAYOUT if multiline else _ANY_CONTROL).search(value))
