"""Log mode: a proxy in front of Perspective that keeps the publisher's own calibration data.

Off by default. With settings.PERSPECTIVE_LOG (CIVILITY_PERSPECTIVE_LOG=1, which
`civility perspective log` sets), `comments:analyze` and `comments:suggestscore` are forwarded to
settings.PERSPECTIVE_LOG_UPSTREAM (Google's commentanalyzer by default) and the upstream answer
(status and body, and its Content-Type and Retry-After) is returned unchanged. For each analyze
answered 200 the comment text, its languages and Perspective's summary scores are stored
(LoggedScore) and purged after settings.PERSPECTIVE_LOG_RETENTION_DAYS (at most an hour late,
or at once with `civility perspective log --purge`). Nothing else is kept: no context, ids,
client tokens or IP addresses, and nothing from suggestscore.

Keys: with settings.PERSPECTIVE_LOG_UPSTREAM_KEY set, callers authenticate with Civility keys
(counted against their quota as usual) and Perspective is called with that key, so turning log
mode off later changes nothing for them: the same URL and key then get local scores. Without it,
the caller's own Perspective key is passed on untouched.

`civility perspective log --export FILE` writes the stored rows as JSONL that
`civility perspective calibrate --from FILE` reads.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import urllib.error
import urllib.request
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from civility.perspective import keys
from civility.perspective.errors import INVALID_REQUEST, ApiError, error_response

log = logging.getLogger(__name__)

UPSTREAM_TIMEOUT = 10.0  # seconds; Coral gives up after 0.8 s anyway
PURGE_EVERY = 3600.0  # seconds between automatic purges, per process
PASSED_HEADERS = ("Content-Type", "Retry-After")
_last_purge: float | None = None  # monotonic time of this process's last automatic purge
_purge_lock = threading.Lock()


def enabled() -> bool:
    return bool(getattr(settings, "PERSPECTIVE_LOG", False))


def retention_days() -> int:
    days = int(settings.PERSPECTIVE_LOG_RETENTION_DAYS)
    if days < 1:
        raise ValueError(f"CIVILITY_PERSPECTIVE_LOG_RETENTION_DAYS must be at least 1, got {days}")
    return days


def upstream_url(method: str) -> str:
    return f"{settings.PERSPECTIVE_LOG_UPSTREAM}/v1alpha1/comments:{method}"


def describe() -> str:
    """What log mode does and stores, said when it starts (and by --status)."""
    if settings.PERSPECTIVE_LOG_UPSTREAM_KEY:
        keys_line = (
            "Callers authenticate with Civility keys (civility apikey); Perspective is called"
            " with CIVILITY_PERSPECTIVE_LOG_UPSTREAM_KEY."
        )
    else:
        keys_line = "Callers' own Perspective keys are passed on to Perspective untouched."
    return "\n".join(
        [
            "LOG MODE: comments:analyze and comments:suggestscore are forwarded to"
            f" {settings.PERSPECTIVE_LOG_UPSTREAM}/v1alpha1/ and Perspective's answers returned"
            " unchanged; nothing is scored locally.",
            "STORED on this server, for each comments:analyze Perspective answers with 200: the"
            " comment text, its languages and Perspective's summary scores (also when the"
            " request sets doNotStore: that flag is addressed to Google). Not stored: context,"
            " client tokens, session or community ids, IP addresses, suggestscore requests.",
            f"KEPT for {retention_days()} days (CIVILITY_PERSPECTIVE_LOG_RETENTION_DAYS), then"
            " deleted (hourly, or now: civility perspective log --purge).",
            keys_line,
            "Export for calibration: civility perspective log --export FILE. To score locally"
            " at the same URL, run without log mode (unset CIVILITY_PERSPECTIVE_LOG).",
        ]
    )


def _body(request: HttpRequest) -> bytes:
    try:
        return request.body
    except RequestDataTooBig:
        raise ApiError(413, "Request payload size exceeds the limit.", INVALID_REQUEST) from None


def _call_upstream(
    method: str, body: bytes, query: dict[str, str], headers: dict[str, str]
) -> tuple[int, bytes, dict[str, str]]:
    url = upstream_url(method) + ("?" + urlencode(query) if query else "")
    req = urllib.request.Request(url, data=body, method="POST", headers=headers)  # noqa: S310
    try:
        with urllib.request.urlopen(req, timeout=UPSTREAM_TIMEOUT) as resp:  # noqa: S310
            return resp.status, resp.read(), dict(resp.headers.items())
    except urllib.error.HTTPError as err:  # 4xx/5xx: Perspective's own answer, passed on
        with err:
            return err.code, err.read(), dict(err.headers.items())
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        log.warning("log mode: Perspective did not answer: %s", reason)
        raise ApiError(
            503, f"Perspective (the upstream of this log-mode server) did not answer: {reason}"
        ) from None


def forward(request: HttpRequest, method: str) -> HttpResponse:
    """Forward one comments:<method> call to Perspective; store analyze's text and scores."""
    try:
        if request.method != "POST":
            raise ApiError(405, f"Method {request.method} is not allowed here; use POST.")
        body = _body(request)
        raw_key = request.GET.get("key") or request.headers.get("X-Goog-Api-Key")
        key = None
        upstream_key = raw_key
        if settings.PERSPECTIVE_LOG_UPSTREAM_KEY:
            key = keys.authenticate(raw_key)
            keys.check_quota(key, method)
            upstream_key = settings.PERSPECTIVE_LOG_UPSTREAM_KEY
        query: dict[str, str] = {k: str(v) for k, v in request.GET.items() if k != "key"}
        headers = {
            "Content-Type": request.headers.get("Content-Type") or "application/json",
            "User-Agent": "civility-perspective-log",
        }
        if upstream_key:
            if "key" in request.GET or "X-Goog-Api-Key" not in request.headers:
                query["key"] = upstream_key
            else:
                headers["X-Goog-Api-Key"] = upstream_key
        status, content, upstream_headers = _call_upstream(method, body, query, headers)
    except ApiError as err:
        return error_response(err)
    resp = HttpResponse(content, status=status)
    lowered = {k.lower(): v for k, v in upstream_headers.items()}
    for name in PASSED_HEADERS:
        if name.lower() in lowered:
            resp[name] = lowered[name.lower()]
    if method == "analyze" and status == 200:
        try:
            store(body, content, key)
        except Exception:  # the caller still gets Perspective's answer
            log.exception("log mode: could not store an analyze answer")
    return resp


def store(request_body: bytes, response_body: bytes, key: Any = None) -> Any:
    """Keep the text and summary scores of one analyze exchange; None if it has neither."""
    from civility.perspective.models import LoggedScore
    from civility.perspective.protocol import parse_body

    try:
        req = parse_body(request_body)
        answer = json.loads(response_body)
    except (ApiError, ValueError):
        return None
    comment = req.get("comment")
    text = comment.get("text") if isinstance(comment, dict) else None
    attribute_scores = answer.get("attributeScores") if isinstance(answer, dict) else None
    if not isinstance(text, str) or not text.strip() or not isinstance(attribute_scores, dict):
        return None
    scores: dict[str, float] = {}
    for name, entry in attribute_scores.items():
        value = ((entry or {}).get("summaryScore") or {}).get("value")
        if isinstance(value, int | float) and not isinstance(value, bool):
            scores[str(name)] = float(value)
    if not scores:
        return None
    languages = req.get("languages") or answer.get("languages") or answer.get("detectedLanguages")
    if not isinstance(languages, list):
        languages = []
    row = LoggedScore.objects.create(
        key=key, text=text, languages=[str(x) for x in languages][:10], scores=scores
    )
    _purge_now_and_then()
    return row


def purge(now: Any = None) -> int:
    """Delete stored rows past the retention period; returns how many."""
    from civility.perspective.models import LoggedScore

    cutoff = (now or timezone.now()) - timedelta(days=retention_days())
    deleted, _ = LoggedScore.objects.filter(created_at__lt=cutoff).delete()
    return int(deleted)


def _purge_now_and_then() -> None:
    global _last_purge
    with _purge_lock:
        now = time.monotonic()
        if _last_purge is not None and now - _last_purge < PURGE_EVERY:
            return
        _last_purge = now
    deleted = purge()
    if deleted:
        log.info("log mode: purged %d stored scores past retention", deleted)


def export(path: Path, site_slug: str | None = None) -> int:
    """Write the stored rows as JSONL for `civility perspective calibrate --from`."""
    from civility.perspective.models import LoggedScore

    rows = LoggedScore.objects.order_by("pk")
    if site_slug:
        rows = rows.filter(key__site__slug=site_slug)
    count = 0
    with path.open("w", encoding="utf-8") as fh:
        for row in rows.iterator():
            record = {"text": row.text, "languages": row.languages, **row.scores}
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
            count += 1
    return count


def status_lines() -> list[str]:
    from django.db.models import Count, Max, Min

    from civility.perspective.models import LoggedScore

    agg = LoggedScore.objects.aggregate(
        n=Count("pk"), first=Min("created_at"), last=Max("created_at")
    )
    if not agg["n"]:
        return ["stored: nothing yet"]
    return [
        f"stored: {agg['n']} analyze answers, from {agg['first']:%Y-%m-%d %H:%M} to"
        f" {agg['last']:%Y-%m-%d %H:%M} UTC"
    ]
