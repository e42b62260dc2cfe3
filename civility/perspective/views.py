"""Perspective-compatible endpoints: `comments:analyze` and `comments:suggestscore`.

Plain Django views (not django-ninja) so the request body can be parsed as relaxed JSON and every
error carries Google's exact envelope. Neither endpoint logs request text.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from civility import metrics
from civility.perspective import engine, keys, logmode, site_calibration
from civility.perspective.actions import record_suggestion
from civility.perspective.errors import INVALID_REQUEST, ApiError, error_response
from civility.perspective.protocol import (
    AnalyzeRequest,
    language_error,
    parse_analyze,
    parse_body,
    parse_suggest,
    supported_language,
)

log = logging.getLogger(__name__)


def _api_key(request: HttpRequest) -> str | None:
    return request.GET.get("key") or request.headers.get("X-Goog-Api-Key")


def _method_check(request: HttpRequest) -> None:
    if request.method != "POST":
        raise ApiError(405, f"Method {request.method} is not allowed here; use POST.")


def _body(request: HttpRequest) -> bytes:
    try:
        return request.body
    except RequestDataTooBig:
        raise ApiError(413, "Request payload size exceeds the limit.", INVALID_REQUEST) from None


def utf16_offsets(text: str) -> list[int]:
    """`out[i]` = UTF-16 code-unit offset of code point `i` (len(text)+1 entries)."""
    out = [0] * (len(text) + 1)
    pos = 0
    for i, ch in enumerate(text):
        out[i] = pos
        pos += 2 if ord(ch) > 0xFFFF else 1
    out[len(text)] = pos
    return out


def _score_obj(value: float) -> dict[str, Any]:
    return {"value": round(float(value), 7), "type": "PROBABILITY"}


def _resolve_languages(req: AnalyzeRequest) -> tuple[list[str], list[str]]:
    """(languages, detectedLanguages) for the response; refuses languages we do not score."""
    detected = engine.detect_language(req.text)
    detected_list = ["en"] if detected == "und" else [detected]
    first_attr = req.attributes[0].name
    if req.languages:
        if supported_language(req.languages) is None:
            raise language_error(first_attr, req.languages, detected_list)
        return req.languages, detected_list
    if supported_language(detected_list) is None:
        raise language_error(first_attr, [], detected_list)
    return detected_list, detected_list


def build_analysis(
    req: AnalyzeRequest, result: Any, scorer: Any, key: Any = None
) -> dict[str, Any]:
    # The global calibration, or the key's site's own (civility perspective calibrate).
    calibration = site_calibration.calibration_for_key(key, scorer)
    offsets: list[int] | None = None
    scores: dict[str, Any] = {}
    # Each attribute scores the comment's offending spans on its own evidence (see
    # Scorer.attribute_spans), calibrated like its summary score.
    by_attr = scorer.attribute_spans(req.text, result) if result.spans else {}
    for attr in req.attributes:
        value = calibration.apply(attr.model, result.scores[attr.model])
        if attr.threshold is not None and value < attr.threshold:
            continue
        spans = by_attr.get(attr.model, [])
        if offsets is None:
            offsets = utf16_offsets(req.text)
        if spans:
            span_scores = [
                {
                    "begin": offsets[s.start],
                    "end": offsets[s.end],
                    "score": _score_obj(calibration.apply(attr.model, s.score)),
                }
                for s in spans
            ]
        else:  # no span stands out: the whole text carries the summary score
            span_scores = [{"begin": 0, "end": offsets[-1], "score": _score_obj(value)}]
        scores[attr.name] = {"spanScores": span_scores, "summaryScore": _score_obj(value)}
    return {"attributeScores": scores}


@csrf_exempt
def analyze(request: HttpRequest) -> HttpResponse:
    if logmode.enabled():  # `civility perspective log`: Perspective answers, we keep a copy
        return logmode.forward(request, "analyze")
    try:
        _method_check(request)
        key = keys.authenticate(_api_key(request))
        keys.check_quota(key, "analyze")
        req = parse_analyze(parse_body(_body(request)))
        languages, detected = _resolve_languages(req)
        try:
            scorer = engine.get_scorer()
        except (FileNotFoundError, OSError):
            log.error("comments:analyze: no scoring model installed")
            raise ApiError(503, "The scoring model is not installed on this server.") from None
        try:
            with metrics.slots.waiting():  # the batcher's thread scores it
                result = engine.get_batcher().score(req.text, timeout=settings.SCORING_TIMEOUT)
        except TimeoutError:
            raise ApiError(503, "The scoring model is busy; retry shortly.") from None
        body = build_analysis(req, result, scorer, key)
    except ApiError as err:
        return error_response(err)
    body["languages"] = languages
    body["detectedLanguages"] = detected
    if req.client_token is not None:
        body["clientToken"] = req.client_token
    return JsonResponse(body)


@csrf_exempt
def suggestscore(request: HttpRequest) -> HttpResponse:
    if logmode.enabled():
        return logmode.forward(request, "suggestscore")
    try:
        _method_check(request)
        key = keys.authenticate(_api_key(request))
        keys.check_quota(key, "suggestscore")
        req = parse_suggest(parse_body(_body(request)))
    except ApiError as err:
        return error_response(err)
    record_suggestion(key=key, request=req)
    detected = engine.detect_language(req.text)
    body: dict[str, Any] = {
        "detectedLanguages": ["en" if detected == "und" else detected],
        "requestedLanguages": req.languages,
    }
    if req.client_token is not None:
        body["clientToken"] = req.client_token
    return JsonResponse(body)
