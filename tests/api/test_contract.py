"""The OpenAPI document promises what the API does (issue 13, item 10): every status an operation
can give is declared with the one Error schema, every request constraint is declared and
enforced with the code the API has always given, and the defects the schemathesis run found stay
fixed (tests/contract/run_schemathesis.py runs schemathesis itself against `civility serve`)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from civility.accounts.models import User
from civility.api import comments as api_comments
from civility.api.schemas import MAX_ID, NOT_BLANK
from civility.comments import queries
from civility.comments.actions import REACTION_KINDS
from civility.comments.models import Comment, Reaction, Report, Story

pytestmark = pytest.mark.django_db

METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture
def document(client: Client) -> dict[str, Any]:
    resp = client.get("/api/v1/openapi.json")
    assert resp.status_code == 200
    return json.loads(resp.content)


def operations(document: dict[str, Any]):
    for path, item in document["paths"].items():
        for method, op in item.items():
            if method in METHODS:
                yield path, method, op


def _json_error(resp: Any, status: int, code: str) -> dict[str, Any]:
    assert resp.status_code == status, resp.content[:300]
    assert resp["Content-Type"].startswith("application/json")
    body = json.loads(resp.content)
    assert body["error"]["code"] == code, body
    return body


# --- the document ---------------------------------------------------------------------------


def test_every_operation_declares_its_answers(document: dict[str, Any]) -> None:
    error_ref = {"$ref": "#/components/schemas/Error"}
    assert document["components"]["securitySchemes"]["BearerAuth"]["scheme"] == "bearer"
    for path, method, op in operations(document):
        where = f"{method.upper()} {path}"
        responses = op["responses"]
        ok = [s for s in responses if str(s).startswith("2")]
        assert ok, where
        for status in ok:  # every success has a described body
            assert "schema" in responses[status]["content"]["application/json"], where
        for status, answer in responses.items():
            if int(status) >= 400:
                schema = answer["content"]["application/json"]["schema"]
                assert schema == error_ref, (where, status)
            if str(status) in {"429", "503"}:
                assert answer["headers"]["Retry-After"]["required"] is True, (where, status)
        params = {p["in"] for p in op.get("parameters", [])}
        if "path" in params or "query" in params or "requestBody" in op:
            assert "400" in responses, where
        if "path" in params:
            assert "404" in responses, where
        if "requestBody" in op:
            assert "413" in responses, where
        security = op.get("security", [])
        if security and {} not in security:  # the token is required
            assert "401" in responses, where


def test_path_ids_are_64_bit_positive_integers(document: dict[str, Any]) -> None:
    for path, method, op in operations(document):
        for param in op.get("parameters", []):
            if param["in"] == "path" and param["name"].endswith("_id"):
                schema = param["schema"]
                assert (schema["type"], schema["minimum"], schema["maximum"]) == (
                    "integer",
                    1,
                    MAX_ID,
                ), (method, path, param["name"])


def test_declared_constraints_are_the_codes_constants(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    body = schemas["CommentIn"]["properties"]["body"]
    assert body["maxLength"] == api_comments.HARD_MAX_BODY and body["pattern"] == NOT_BLANK
    assert schemas["EditIn"]["properties"]["body"]["maxLength"] == api_comments.HARD_MAX_BODY
    assert schemas["ReportIn"]["properties"]["reason"]["enum"] == sorted(Report.Reason.values)
    assert schemas["ReportIn"]["properties"]["message"]["maxLength"] == 500
    assert schemas["ReactionIn"]["properties"]["kind"]["enum"] == sorted(REACTION_KINDS)
    assert schemas["CountsIn"]["properties"]["urls"]["maxItems"] == 200
    assert schemas["DeleteMeIn"]["required"] == ["confirm"]
    assert schemas["DeleteMeIn"]["properties"]["confirm"]["enum"] == [True]
    thread = document["paths"]["/api/v1/stories/{story_id}/comments"]["get"]["parameters"]
    query = {p["name"]: p["schema"] for p in thread if p["in"] == "query"}
    assert query["sort"]["enum"] == sorted(queries.SORTS)
    assert (query["offset"]["minimum"], query["limit"]["minimum"]) == (0, 1)
    assert query["limit"]["maximum"] == queries.MAX_PAGE


@pytest.mark.parametrize(
    "body,code",
    [
        ({"body": "\u3000\n\x1c "}, "empty"),  # every Python whitespace counts as blank
        ({"body": "x" * (api_comments.HARD_MAX_BODY + 1)}, "too_long"),
        ({"body": "hi", "parent_id": 0}, "invalid_request"),
        ({"body": 5}, "invalid_request"),
    ],
)
def test_schema_invalid_comments_are_refused_with_their_codes(story, reader, body, code) -> None:
    _, alice = reader
    _json_error(alice.post(f"/stories/{story.pk}/comments", body), 400, code)
    assert not Comment.objects.exists()


# --- what schemathesis found ---------------------------------------------------------------


def test_ids_beyond_64_bits_are_a_400_not_a_500(story, reader) -> None:
    """A story id past 2**63 - 1 reached the database (SQLite: OverflowError; PostgreSQL:
    bigint out of range): 500."""
    _, alice = reader
    huge = 2**65 + 1
    _json_error(alice.client.get(f"/api/v1/stories/{huge}"), 400, "invalid_request")
    _json_error(alice.client.get(f"/api/v1/stories/{huge}/comments"), 400, "invalid_request")
    _json_error(alice.post(f"/stories/{huge}/comments", {"body": "hi"}), 400, "invalid_request")
    resp = alice.post(f"/stories/{story.pk}/comments", {"body": "hi", "parent_id": huge})
    _json_error(resp, 400, "invalid_request")
    _json_error(alice.post(f"/comments/{huge}/reactions", {"kind": "like"}), 400, "invalid_request")
    assert not Comment.objects.exists()


def test_a_body_that_is_not_an_object_is_refused(story, reader, other_reader) -> None:
    """`[null, null]` (or any non-object) was read as an object with every field absent: a
    reaction with its defaults was stored."""
    _, alice = reader
    _, bob = other_reader
    posted = alice.post(f"/stories/{story.pk}/comments", {"body": "like me"})
    cid = posted.json_body["comment"]["id"]
    for raw in ("[null, null]", "3", '"like"', "null", "true"):
        resp = bob.post(f"/comments/{cid}/reactions", raw=raw)
        _json_error(resp, 400, "invalid_request")
    assert not Reaction.objects.exists()
    assert bob.post(f"/comments/{cid}/reactions", {}).json_body["reacted"] is True


def test_reporting_ones_own_comment_is_forbidden_not_malformed(story, reader) -> None:
    """A well-formed report of one's own comment was a 400, as if the request were broken."""
    _, alice = reader
    cid = alice.post(f"/stories/{story.pk}/comments", {"body": "mine"}).json_body["comment"]["id"]
    _json_error(alice.post(f"/comments/{cid}/reports", {"reason": "spam"}), 403, "own_comment")
    assert not Report.objects.exists()


@pytest.mark.parametrize(
    "url",
    [
        "http://[news.example/x",  # urlsplit: "Invalid IPv6 URL"
        "http://news\uff03example/x",  # urlsplit: invalid characters under NFKC normalization
        "https://[::1]x/",
        "javascript:alert(1)",
        "https://news.example/" + "x" * 1000,
    ],
)
def test_story_urls_no_parser_accepts_are_a_400(site, anon, url) -> None:
    """The first two were 500s (ValueError from urllib.parse.urlsplit)."""
    resp = anon.post("/stories", {"site": "news", "url": url})
    _json_error(resp, 400, "bad_url")
    assert not Story.objects.exists()


def test_story_urls_the_document_allows_are_accepted(site, anon) -> None:
    for url in ("HTTPS://News.Example/a?b=c#d", "https://news.example/\u00e9t\u00e9\x1b"):
        resp = anon.post("/stories", {"site": "news", "url": url})
        assert resp.status_code == 200, resp.json_body


def test_signup_addresses_longer_than_the_username_column_are_refused(anon) -> None:
    """The address is the username (150 characters); a longer one was stored on SQLite and a
    500 on PostgreSQL."""
    email = "a" * 140 + "@example.org"
    resp = anon.post("/auth/signup", {"email": email, "password": "a-fine-password-1"})
    _json_error(resp, 400, "invalid_email")
    assert not User.objects.exists()


def test_signup_without_a_name_takes_at_most_80_characters_of_the_address(anon) -> None:
    """A blank display name (or one of spaces) falls back to the address's local part; a local
    part over 80 characters, or a name of spaces, was a 400 invalid_name."""
    local = "b" * 100
    resp = anon.post(
        "/auth/signup",
        {"email": f"{local}@example.org", "password": "a-fine-password-1", "display_name": "  "},
    )
    assert resp.status_code == 201, resp.json_body
    assert resp.json_body["user"]["name"] == local[:80]


def test_delete_me_requires_the_confirmation(reader) -> None:
    _, alice = reader
    _json_error(alice.call("DELETE", "/me", {}), 400, "confirm_required")
    _json_error(alice.call("DELETE", "/me", {"confirm": False}), 400, "confirm_required")
    assert User.objects.filter(username="alice").exists()


def test_wrong_methods_answer_json_405(client: Client) -> None:
    resp = client.put("/api/v1/stories")
    body = _json_error(resp, 405, "method_not_allowed")
    assert resp["Allow"] == "POST" and "PUT" in body["error"]["message"]


def test_auth_me_declares_and_requires_the_token(document, client: Client, reader) -> None:
    assert document["paths"]["/api/v1/auth/me"]["get"]["security"] == [{"BearerAuth": []}]
    _json_error(client.get("/api/v1/auth/me"), 401, "unauthenticated")
    _, alice = reader
    assert alice.get("/auth/me").json_body["user"]["name"] == "alice"


def test_answers_keep_fields_the_schemas_do_not_list(story, reader) -> None:
    """Answers are checked against their schemas on the way out; a field a view adds that the
    schema does not list is passed on, not dropped."""
    from civility.api.schemas import PostedOut

    comment = {
        "id": 1,
        "story_id": 1,
        "parent_id": None,
        "depth": 0,
        "status": "approved",
        "author": None,
        "html": "",
        "created_at": "2026-01-01T00:00:00+00:00",
        "edited": False,
        "reaction_count": 0,
        "featured": False,
        "something_new": [1],
    }
    out = PostedOut.model_validate({"comment": comment, "message": "", "reasons": [], "x": 2})
    dumped = out.model_dump()
    assert dumped["comment"]["something_new"] == [1] and dumped["x"] == 2
