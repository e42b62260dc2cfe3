"""Perspective's `comments:analyze` / `comments:suggestscore` request parsing and validation.

Parsing is lenient about syntax (relaxed JSON: unquoted keys, single quotes, trailing commas, as
Commento++ sends) and strict about meaning: every refusal is an `ApiError` in Google's shape.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import json5

from civility.errors import Refused
from civility.perspective.errors import (
    COMMENT_EMPTY,
    COMMENT_TOO_LONG,
    INVALID_REQUEST,
    LANGUAGE_NOT_SUPPORTED_BY_ATTRIBUTE,
    NO_REQUESTED_ATTRIBUTES,
    ApiError,
    bad_request,
)
from civility.scoring.constants import ATTRIBUTES
from civility.textcheck import MAX_JSON_DEPTH, check_json_value, nesting_exceeds

MAX_TEXT_BYTES = 20 * 1024  # Perspective's documented 20 KB per comment
MAX_BODY_BYTES = 2 * 1024 * 1024  # context entries may be large; refuse anything beyond this
MAX_RELAXED_BYTES = 32 * 1024  # the pure-Python JSON5 parser: ~5 s of CPU for 200 KB

# Attributes this server scores, and Perspective's aliases that map onto them.
SCORED = ATTRIBUTES
ALIASES: dict[str, str] = {
    **{f"{a}_EXPERIMENTAL": a for a in SCORED},
    "TOXICITY_FAST": "TOXICITY",
    "SEVERE_TOXICITY_FAST": "SEVERE_TOXICITY",
}
# Perspective attributes we know but do not model: refused as Google refuses an attribute that
# does not support the request's language, which real clients handle by dropping the attribute.
UNSUPPORTED_PERSPECTIVE = frozenset(
    {
        "SEXUALLY_EXPLICIT",
        "FLIRTATION",
        "ATTACK_ON_AUTHOR",
        "ATTACK_ON_COMMENTER",
        "ATTACK_ON_PUBLISHER",
        "INCOHERENT",
        "INFLAMMATORY",
        "LIKELY_TO_REJECT",
        "OBSCENE",
        "SPAM",
        "UNSUBSTANTIAL",
        "OFF_TOPIC",
        "SEXUALLY_EXPLICIT_EXPERIMENTAL",
        "FLIRTATION_EXPERIMENTAL",
    }
)
SUPPORTED_LANGUAGES = ("en",)
_TEXT_TYPES = {None, "PLAIN_TEXT", "TEXT_TYPE_UNSPECIFIED"}
_SCORE_TYPES = {None, "PROBABILITY", "SCORE_TYPE_UNSPECIFIED"}


@dataclass
class RequestedAttribute:
    name: str  # as requested (echoed in the response)
    model: str  # the attribute we score for it
    threshold: float | None = None


@dataclass
class AnalyzeRequest:
    text: str
    attributes: list[RequestedAttribute]
    languages: list[str]
    do_not_store: bool = False
    span_annotations: bool = False
    client_token: str | None = None
    session_id: str | None = None
    community_id: str | None = None
    context: dict[str, Any] = field(default_factory=dict)


@dataclass
class SuggestRequest:
    text: str
    attribute_scores: dict[str, Any]
    languages: list[str]
    context: dict[str, Any]
    client_token: str | None = None
    session_id: str | None = None
    community_id: str | None = None


def parse_body(body: bytes) -> dict[str, Any]:
    """JSON object from the raw body; relaxed JSON (JSON5) accepted."""
    if len(body) > MAX_BODY_BYTES:
        raise ApiError(413, "Request payload size exceeds the limit: 2 MB.", INVALID_REQUEST)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        msg = "Invalid JSON payload received. Invalid UTF-8."
        raise bad_request(INVALID_REQUEST, msg) from None
    if nesting_exceeds(text, MAX_JSON_DEPTH):
        msg = f"Invalid JSON payload received. Nested more than {MAX_JSON_DEPTH} levels deep."
        raise bad_request(INVALID_REQUEST, msg)
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        if len(body) > MAX_RELAXED_BYTES:  # the pure-Python JSON5 parser is slow on big input
            msg = "Invalid JSON payload received (relaxed JSON is limited to 32 KB)."
            raise bad_request(INVALID_REQUEST, msg) from None
        try:
            data = json5.loads(text)
        except (ValueError, RecursionError) as exc:
            raise bad_request(
                INVALID_REQUEST, f"Invalid JSON payload received. {str(exc)[:200]}"
            ) from None
    if not isinstance(data, dict):
        raise bad_request(
            INVALID_REQUEST, "Invalid JSON payload received. Expected an object at the top level."
        )
    try:
        check_json_value(data, "")
    except Refused as exc:  # NUL or an unpaired surrogate: not text anyone can store or score
        raise bad_request(INVALID_REQUEST, exc.message) from None
    return data


def _field(data: dict[str, Any], name: str, kind: type | tuple[type, ...], default: Any) -> Any:
    value = data.get(name, default)
    if value is None:
        return default
    if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
        raise bad_request(INVALID_REQUEST, f'Invalid value at "{name}".')
    return value


def _optional_str(data: dict[str, Any], name: str) -> str | None:
    value = _field(data, name, str, None)
    return value if value is None else str(value)


def _text_entry(value: Any, where: str, *, required: bool) -> str:
    if value is None:
        if required:
            raise bad_request(COMMENT_EMPTY, "Comment must be non-empty.")
        return ""
    if not isinstance(value, dict):
        raise bad_request(INVALID_REQUEST, f'Invalid value at "{where}": expected a TextEntry.')
    text = value.get("text")
    if text is None:
        text = ""
    if not isinstance(text, str):
        raise bad_request(INVALID_REQUEST, f'Invalid value at "{where}.text": expected a string.')
    if value.get("type") not in _TEXT_TYPES:
        raise bad_request(INVALID_REQUEST, "Currently, only 'PLAIN_TEXT' comments are supported")
    return text


def _context(data: dict[str, Any]) -> dict[str, Any]:
    ctx = _field(data, "context", dict, {})
    entries = ctx.get("entries")
    apc = ctx.get("articleAndParentComment")
    if entries is not None and apc is not None:
        raise bad_request(
            INVALID_REQUEST,
            "Set only one of context.entries and context.articleAndParentComment.",
        )
    if entries is not None:
        if not isinstance(entries, list):
            raise bad_request(INVALID_REQUEST, 'Invalid value at "context.entries".')
        for i, entry in enumerate(entries):
            _text_entry(entry, f"context.entries[{i}]", required=False)
    if apc is not None:
        if not isinstance(apc, dict):
            msg = 'Invalid value at "context.articleAndParentComment".'
            raise bad_request(INVALID_REQUEST, msg)
        for part in ("article", "parentComment"):
            if apc.get(part) is not None:
                _text_entry(apc[part], f"context.articleAndParentComment.{part}", required=False)
    return ctx


def _languages(data: dict[str, Any]) -> list[str]:
    langs = _field(data, "languages", list, [])
    if not all(isinstance(lang, str) for lang in langs):
        raise bad_request(INVALID_REQUEST, 'Invalid value at "languages": expected strings.')
    return [lang.strip() for lang in langs if lang.strip()]


def _comment_text(data: dict[str, Any]) -> str:
    text = _text_entry(data.get("comment"), "comment", required=True)
    if not text.strip():
        raise bad_request(COMMENT_EMPTY, "Comment must be non-empty.")
    if len(text.encode("utf-8")) > MAX_TEXT_BYTES:
        raise bad_request(COMMENT_TOO_LONG, "Comment text too long.")
    return text


def parse_analyze(data: dict[str, Any]) -> AnalyzeRequest:
    text = _comment_text(data)
    requested = data.get("requestedAttributes")
    if requested is None or requested == {} or requested == []:
        raise bad_request(NO_REQUESTED_ATTRIBUTES, "Must request at least one attribute.")
    if not isinstance(requested, dict):
        raise bad_request(
            INVALID_REQUEST, 'Invalid value at "requestedAttributes": expected a map.'
        )
    attributes: list[RequestedAttribute] = []
    unsupported: list[str] = []
    for name, params in requested.items():
        params = {} if params is None else params
        if not isinstance(params, dict):
            raise bad_request(INVALID_REQUEST, f'Invalid value at "requestedAttributes.{name}".')
        model = name if name in SCORED else ALIASES.get(name)
        if model is None:
            if name in UNSUPPORTED_PERSPECTIVE:
                unsupported.append(name)
                continue
            raise bad_request(INVALID_REQUEST, f"Unknown requested attribute: {name}")
        score_type = params.get("scoreType")
        if score_type not in _SCORE_TYPES:
            raise bad_request(
                INVALID_REQUEST,
                f"Requested score type {score_type} is not supported by attribute {name}",
            )
        threshold = params.get("scoreThreshold")
        if threshold is not None:
            if isinstance(threshold, bool) or not isinstance(threshold, int | float):
                msg = f'Invalid value at "requestedAttributes.{name}.scoreThreshold".'
                raise bad_request(INVALID_REQUEST, msg)
            if not 0.0 <= float(threshold) <= 1.0:
                raise bad_request(
                    INVALID_REQUEST,
                    f"scoreThreshold of {name} must be between 0 and 1, got {threshold}.",
                )
            threshold = float(threshold)
        attributes.append(RequestedAttribute(name, model, threshold))
    languages = _languages(data)
    drop_unsupported = _field(data, "dropUnsupportedAttributes", bool, False)
    if unsupported and drop_unsupported and attributes:
        unsupported = []
    if unsupported:
        name = unsupported[0]
        langs = languages or ["en"]
        raise bad_request(
            LANGUAGE_NOT_SUPPORTED_BY_ATTRIBUTE,
            f"Attribute {name} does not support request languages: {','.join(langs)}"
            f" (this server scores {', '.join(SCORED)})",
            languageNotSupportedByAttributeError={
                "detectedLanguages": langs,
                "requestedLanguages": languages,
                "attribute": name,
            },
        )
    return AnalyzeRequest(
        text=text,
        attributes=attributes,
        languages=languages,
        do_not_store=_field(data, "doNotStore", bool, False),
        span_annotations=_field(data, "spanAnnotations", bool, False),
        client_token=_optional_str(data, "clientToken"),
        session_id=_optional_str(data, "sessionId"),
        community_id=_optional_str(data, "communityId"),
        context=_context(data),
    )


def supported_language(langs: list[str]) -> str | None:
    """The first of `langs` we score ("en-US" counts as "en"), or None."""
    for lang in langs:
        base = lang.replace("_", "-").split("-")[0].lower()
        if base in SUPPORTED_LANGUAGES:
            return base
    return None


def language_error(attribute: str, requested: list[str], detected: list[str]) -> ApiError:
    shown = requested or detected
    return bad_request(
        LANGUAGE_NOT_SUPPORTED_BY_ATTRIBUTE,
        f"Attribute {attribute} does not support request languages: {','.join(shown)}",
        languageNotSupportedByAttributeError={
            "detectedLanguages": detected,
            "requestedLanguages": requested,
            "attribute": attribute,
        },
    )


def parse_suggest(data: dict[str, Any]) -> SuggestRequest:
    text = _comment_text(data)
    scores = data.get("attributeScores")
    if not isinstance(scores, dict) or not scores:
        msg = "Must suggest a score for at least one attribute."
        raise bad_request(NO_REQUESTED_ATTRIBUTES, msg)
    clean: dict[str, Any] = {}
    for name, entry in scores.items():
        if not isinstance(entry, dict) or not (
            entry.get("summaryScore") or entry.get("spanScores")
        ):
            msg = f"attributeScores.{name} needs a summaryScore or spanScores."
            raise bad_request(INVALID_REQUEST, msg)
        summary = None
        if entry.get("summaryScore") is not None:
            summary = _score(entry["summaryScore"], f"attributeScores.{name}.summaryScore")
        spans = []
        for i, span in enumerate(entry.get("spanScores") or []):
            where = f"attributeScores.{name}.spanScores[{i}]"
            if not isinstance(span, dict) or not isinstance(span.get("score"), dict):
                raise bad_request(INVALID_REQUEST, f'Invalid value at "{where}".')
            begin, end = span.get("begin"), span.get("end")
            if not (
                isinstance(begin, int)
                and isinstance(end, int)
                and not isinstance(begin, bool)
                and not isinstance(end, bool)
            ):
                raise bad_request(INVALID_REQUEST, f"{where}: span scores need begin and end.")
            if not 0 <= begin <= end:
                raise bad_request(INVALID_REQUEST, f"{where}: begin must be <= end, both >= 0.")
            spans.append({"begin": begin, "end": end, "score": _score(span["score"], where)})
        clean[name] = {
            **({"summaryScore": summary} if summary else {}),
            **({"spanScores": spans} if spans else {}),
        }
    return SuggestRequest(
        text=text,
        attribute_scores=clean,
        languages=_languages(data),
        context=_context(data),
        client_token=_optional_str(data, "clientToken"),
        session_id=_optional_str(data, "sessionId"),
        community_id=_optional_str(data, "communityId"),
    )


def _score(score: Any, where: str) -> dict[str, Any]:
    if not isinstance(score, dict):
        raise bad_request(INVALID_REQUEST, f'Invalid value at "{where}".')
    value = score.get("value")
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise bad_request(INVALID_REQUEST, f"{where}: every Score must have a numeric value.")
    if not 0.0 <= float(value) <= 1.0:
        raise bad_request(INVALID_REQUEST, f"{where}: value must be between 0 and 1.")
    score_type = score.get("type") or "PROBABILITY"
    if score_type not in _SCORE_TYPES:
        raise bad_request(INVALID_REQUEST, f"{where}: score type {score_type} is not supported.")
    return {"value": float(value), "type": "PROBABILITY"}
