"""Guards for text and JSON that readers and clients send, shared by every app (a leaf module).

PostgreSQL cannot store NUL (U+0000) in text, and a lone UTF-16 surrogate (JSON "\\ud800")
cannot be encoded as UTF-8: both used to become 500s deep inside a write. Deeply nested JSON
made the parser recurse until Python gave up. Each is now a clear 400 before anything is done.
"""

from __future__ import annotations

import json
import re
from typing import Any

from civility.errors import Refused

MAX_JSON_DEPTH = 32  # no Civility request needs more than a handful of levels
_BAD_CHARS = re.compile("[\x00\ud800-\udfff]")


def check_text(value: str, field: str = "text") -> str:
    """``value`` unchanged, or Refused (400) if it holds NUL or a lone surrogate."""
    bad = _BAD_CHARS.search(value)
    if bad is not None:
        what = "a NUL character" if bad.group() == "\x00" else "an unpaired surrogate"
        raise Refused("invalid_text", f"{field} contains {what}, which is not valid text.")
    return value


def check_json_value(value: Any, field: str = "body", depth: int = 0) -> Any:
    """Walk parsed JSON: every string (keys too) must be valid text; nesting is bounded."""
    if depth > MAX_JSON_DEPTH:
        raise Refused("too_deep", f"The JSON is nested more than {MAX_JSON_DEPTH} levels deep.")
    if isinstance(value, str):
        check_text(value, field)
    elif isinstance(value, dict):
        for key, item in value.items():
            check_text(str(key), field)
            check_json_value(item, f"{field}.{key}" if field else str(key), depth + 1)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            check_json_value(item, f"{field}[{index}]", depth + 1)
    return value


def nesting_exceeds(raw: str, limit: int) -> bool:
    """Whether brackets outside strings nest deeper than ``limit`` (before parsing, so a
    hostile body never reaches the recursive parser)."""
    depth = 0
    in_string = escaped = False
    for ch in raw:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth > limit:
                return True
        elif ch in "]}":
            depth -= 1
    return False


def loads_checked(raw: bytes | str, field: str = "") -> Any:
    """json.loads with the guards above; Refused (400) for anything that is not clean JSON."""
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError:
        raise Refused("malformed_json", "The request body is not UTF-8.") from None
    if nesting_exceeds(text, MAX_JSON_DEPTH):
        raise Refused("too_deep", f"The JSON is nested more than {MAX_JSON_DEPTH} levels deep.")
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        raise Refused("malformed_json", "The request body is not valid JSON.") from None
    return check_json_value(data, field)
