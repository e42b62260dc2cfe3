"""Standard Webhooks signing (https://www.standardwebhooks.com): the headers for one attempt.

webhook-id is the event's id (the same on every retry and replay: receivers deduplicate on it),
webhook-timestamp the attempt's time in seconds, webhook-signature one `v1,<base64 HMAC-SHA256
of "id.timestamp.body">` per secret that signs now (two during a rotation's grace period).
"""

from __future__ import annotations

import base64
import secrets
from datetime import UTC, datetime

from standardwebhooks import Webhook


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def sign_headers(msg_id: str, body: str, keys: list[str], now: datetime | None = None) -> dict:
    now = (now or datetime.now(UTC)).astimezone(UTC)
    signatures = [Webhook(key).sign(msg_id=msg_id, timestamp=now, data=body) for key in keys]
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": " ".join(signatures),
    }
