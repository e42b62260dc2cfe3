"""The discovery document of `commentanalyzer` `v1alpha1`, describing what Civility implements.

Perspective's official samples build their client from it: Python's
`googleapiclient.discovery.build("commentanalyzer", "v1alpha1", developerKey=KEY,
discoveryServiceUrl=URL, static_discovery=False)` and Node's `google.discoverAPI(URL)` from the
`googleapis` package. Served where Google served it, `/$discovery/rest?version=v1alpha1`, and at
`/discovery/v1/apis/commentanalyzer/v1alpha1/rest`; pointing a sample's discovery URL at either is
the only change a client needs.

Shape and wording follow Google's own document (revision 20190414, as kept in
googleapis/google-api-go-client), narrowed to this server: two methods, API-key auth only (no
OAuth scopes, so clients never look for Google credentials), PROBABILITY scores, plain text,
English. The root URL is CIVILITY_PUBLIC_URL when set, else the URL the request came to.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from civility.perspective.errors import ApiError, error_response
from civility.perspective.protocol import ALIASES, SCORED, UNSUPPORTED_PERSPECTIVE

VERSION = "v1alpha1"
REVISION = "20261130"

_LANGUAGES = (
    "The language(s) of the comment and context (if none are specified, the language is"
    ' detected). Both ISO and BCP-47 codes are accepted.\nThis server scores English ("en")'
    " only; a request in another language gets LANGUAGE_NOT_SUPPORTED_BY_ATTRIBUTE."
)


def _attributes_text() -> str:
    scored = ", ".join(f'"{a}"' for a in SCORED)
    aliases = ", ".join(f'"{k}" ({v})' for k, v in ALIASES.items())
    return (
        "Specification of requested attributes. The AttributeParameters serve as configuration"
        " for each associated attribute. The map keys are attribute names. This server scores: "
        f"{scored}; also accepted under Perspective's other names: {aliases}. Perspective's "
        "other attributes (" + ", ".join(sorted(UNSUPPORTED_PERSPECTIVE)) + ") are refused with"
        " LANGUAGE_NOT_SUPPORTED_BY_ATTRIBUTE unless dropUnsupportedAttributes is set."
    )


def _score_type() -> dict[str, Any]:
    return {
        "description": "What type of scores to return. Only probability scores are served.",
        "enum": ["SCORE_TYPE_UNSPECIFIED", "PROBABILITY"],
        "enumDescriptions": [
            "Unspecified. Probability scores.",
            "Probability scores are in the range [0, 1] and indicate level of confidence in the"
            " attribute label.",
        ],
        "type": "string",
    }


def _string_list(description: str) -> dict[str, Any]:
    return {"description": description, "items": {"type": "string"}, "type": "array"}


def _schemas() -> dict[str, Any]:
    ref = "$ref"
    schemas: dict[str, Any] = {
        "AnalyzeCommentRequest": {
            "description": "The comment analysis request message.",
            "properties": {
                "clientToken": {
                    "description": "Opaque token that is echoed from the request to the response.",
                    "type": "string",
                },
                "comment": {ref: "TextEntry", "description": "The comment to analyze."},
                "communityId": {
                    "description": "Optional identifier of the client's community (accepted,"
                    " not used).",
                    "type": "string",
                },
                "context": {ref: "Context", "description": "The context of the comment."},
                "doNotStore": {
                    "description": "Accepted for compatibility: this server keeps no analyzed"
                    " text (unless its operator runs log mode, which forwards to Perspective).",
                    "type": "boolean",
                },
                "dropUnsupportedAttributes": {
                    "description": "Drop requested attributes this server does not score"
                    " instead of refusing the request.",
                    "type": "boolean",
                },
                "languages": _string_list(_LANGUAGES),
                "requestedAttributes": {
                    "additionalProperties": {ref: "AttributeParameters"},
                    "description": _attributes_text(),
                    "type": "object",
                },
                "sessionId": {"description": "Session ID (accepted, not used).", "type": "string"},
                "spanAnnotations": {
                    "description": "Advisory: span scores are returned for every attribute.",
                    "type": "boolean",
                },
            },
            "type": "object",
        },
        "AnalyzeCommentResponse": {
            "description": "The comment analysis response message.",
            "properties": {
                "attributeScores": {
                    "additionalProperties": {ref: "AttributeScores"},
                    "description": "Scores for the requested attributes, keyed by the requested"
                    " names.",
                    "type": "object",
                },
                "clientToken": {
                    "description": "Same token from the original AnalyzeCommentRequest.",
                    "type": "string",
                },
                "detectedLanguages": _string_list("The language detected from the text."),
                "languages": _string_list("The language(s) the comment was scored in."),
            },
            "type": "object",
        },
        "ArticleAndParentComment": {
            "description": "The article and parent comment a comment was made on.",
            "properties": {
                "article": {ref: "TextEntry", "description": "The source content."},
                "parentComment": {ref: "TextEntry", "description": "The parent comment."},
            },
            "type": "object",
        },
        "AttributeParameters": {
            "description": "Configurable parameters for attribute scoring.",
            "properties": {
                "scoreThreshold": {
                    "description": "Don't return scores for this attribute that are below this"
                    " threshold.",
                    "format": "float",
                    "type": "number",
                },
                "scoreType": _score_type(),
            },
            "type": "object",
        },
        "AttributeScores": {
            "description": "Per-span scores and an overall summary score for one attribute.",
            "properties": {
                "spanScores": {
                    "description": "Per-span scores.",
                    "items": {ref: "SpanScore"},
                    "type": "array",
                },
                "summaryScore": {
                    ref: "Score",
                    "description": "Overall score for comment as a whole.",
                },
            },
            "type": "object",
        },
        "Context": {
            "description": "What the comment refers to. Set only one of the two fields.",
            "properties": {
                "articleAndParentComment": {
                    ref: "ArticleAndParentComment",
                    "description": "The article and parent comment.",
                },
                "entries": {
                    "description": "A list of messages.",
                    "items": {ref: "TextEntry"},
                    "type": "array",
                },
            },
            "type": "object",
        },
        "Score": {
            "description": "Analysis scores are described by a value and a ScoreType.",
            "properties": {
                "type": {**_score_type(), "description": "The type of the value."},
                "value": {
                    "description": "Score value, in [0, 1].",
                    "format": "float",
                    "type": "number",
                },
            },
            "type": "object",
        },
        "SpanScore": {
            "description": "A single score for a span of text (UTF-16 code units, end exclusive).",
            "properties": {
                "begin": {"format": "int32", "type": "integer"},
                "end": {"format": "int32", "type": "integer"},
                "score": {ref: "Score", "description": "The score value."},
            },
            "type": "object",
        },
        "SuggestCommentScoreRequest": {
            "description": "The comment score suggestion request message (stored as labeled"
            " data for the next model).",
            "properties": {
                "attributeScores": {
                    "additionalProperties": {ref: "AttributeScores"},
                    "description": "Suggested scores per attribute; each needs a summaryScore"
                    " or spanScores.",
                    "type": "object",
                },
                "clientToken": {
                    "description": "Opaque token that is echoed from the request to the response.",
                    "type": "string",
                },
                "comment": {ref: "TextEntry", "description": "The comment being scored."},
                "communityId": {
                    "description": "Optional identifier of a sub-community.",
                    "type": "string",
                },
                "context": {ref: "Context", "description": "The context of the comment."},
                "languages": _string_list(_LANGUAGES),
                "sessionId": {"description": "Session ID.", "type": "string"},
            },
            "type": "object",
        },
        "SuggestCommentScoreResponse": {
            "description": "The comment score suggestion response message.",
            "properties": {
                "clientToken": {
                    "description": "Same token from the original SuggestCommentScoreRequest.",
                    "type": "string",
                },
                "detectedLanguages": _string_list("The languages detected from the text."),
                "requestedLanguages": _string_list("The languages provided in the request."),
            },
            "type": "object",
        },
        "TextEntry": {
            "description": "Represents a body of text.",
            "properties": {
                "text": {"description": "UTF-8 encoded text (at most 20 KB).", "type": "string"},
                "type": {
                    "description": "Type of the text field. Only plain text is supported.",
                    "enum": ["TEXT_TYPE_UNSPECIFIED", "PLAIN_TEXT"],
                    "enumDescriptions": ["Plain text.", "Plain text."],
                    "type": "string",
                },
            },
            "type": "object",
        },
    }
    for name, schema in schemas.items():
        schema["id"] = name
    return dict(sorted(schemas.items()))


def _method(name: str, description: str, request: str, response: str) -> dict[str, Any]:
    return {
        "description": description,
        "flatPath": f"{VERSION}/comments:{name}",
        "httpMethod": "POST",
        "id": f"commentanalyzer.comments.{name}",
        "parameterOrder": [],
        "parameters": {},
        "path": f"{VERSION}/comments:{name}",
        "request": {"$ref": request},
        "response": {"$ref": response},
    }


@lru_cache(maxsize=16)
def _document_json(root_url: str) -> str:
    return json.dumps(document(root_url), indent=1, sort_keys=True)


def document(root_url: str) -> dict[str, Any]:
    """The discovery document with `root_url` ("https://civility.example/") as its root."""
    return {
        "basePath": "",
        "baseUrl": root_url,
        "canonicalName": "Comment Analyzer",
        "description": "Civility's Perspective-compatible Comment Analyzer API: scores comments"
        " for toxicity and related attributes with a local model, calibrated to Perspective's"
        " scale.",
        "discoveryVersion": "v1",
        "documentationLink": root_url,
        "id": f"commentanalyzer:{VERSION}",
        "kind": "discovery#restDescription",
        "name": "commentanalyzer",
        "ownerDomain": "civility",
        "ownerName": "Civility",
        "parameters": {
            "alt": {
                "default": "json",
                "description": "Data format for response (JSON only).",
                "enum": ["json"],
                "enumDescriptions": ["Responses with Content-Type of application/json"],
                "location": "query",
                "type": "string",
            },
            "key": {
                "description": "API key (`civility apikey create`). Also accepted in the"
                " X-Goog-Api-Key header.",
                "location": "query",
                "type": "string",
            },
        },
        "protocol": "rest",
        "resources": {
            "comments": {
                "methods": {
                    "analyze": _method(
                        "analyze",
                        "Analyzes the provided text and returns scores for requested attributes.",
                        "AnalyzeCommentRequest",
                        "AnalyzeCommentResponse",
                    ),
                    "suggestscore": _method(
                        "suggestscore",
                        "Suggest comment scores as training data.",
                        "SuggestCommentScoreRequest",
                        "SuggestCommentScoreResponse",
                    ),
                }
            }
        },
        "revision": REVISION,
        "rootUrl": root_url,
        "schemas": _schemas(),
        "servicePath": "",
        "title": "Perspective Comment Analyzer API (Civility)",
        "version": VERSION,
        "version_module": True,
    }


def root_url(request: HttpRequest) -> str:
    configured = getattr(settings, "PERSPECTIVE_DISCOVERY_ROOT_URL", "")
    if configured:
        return configured.rstrip("/") + "/"
    return request.build_absolute_uri("/")


def _respond(request: HttpRequest, version: str | None) -> HttpResponse:
    if request.method not in {"GET", "HEAD"}:
        return error_response(ApiError(405, f"Method {request.method} is not allowed here."))
    if version != VERSION:
        return error_response(
            ApiError(
                404,
                f"Discovery document not found for API service commentanalyzer, version"
                f" {version or '(none: add ?version=v1alpha1)'}; this server serves {VERSION}.",
            )
        )
    resp = HttpResponse(_document_json(root_url(request)), content_type="application/json")
    resp["Cache-Control"] = "public, max-age=300"
    return resp


def rest(request: HttpRequest) -> HttpResponse:
    """`/$discovery/rest?version=v1alpha1`, as commentanalyzer.googleapis.com served it."""
    return _respond(request, request.GET.get("version"))


def by_path(request: HttpRequest, version: str) -> HttpResponse:
    """`/discovery/v1/apis/commentanalyzer/<version>/rest`, the Discovery service's form."""
    return _respond(request, version)
