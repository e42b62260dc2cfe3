"""What the OpenAPI document at /api/v1/openapi.json promises, and the checks that keep it.

Request fields carry their constraints as types built here: each constraint is declared in the
document (maxLength, pattern, enum, minimum ...) and enforced by the same type, with the error
code the API has always given for it (``too_long``, ``empty``, ``bad_sort`` ...), so what the
document says and what the server does cannot drift apart. ``v1._invalid`` turns these
``civility:<code>`` validation errors into ``{"error": {"code", "message"}}``.

Answers are described by output schemas that let extra fields through (``extra="allow"``): a
field added to a view's answer is passed on, not silently dropped; every error status an
operation can give is declared with the one ``Error`` schema (``answers``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Annotated, Any

from annotated_types import GroupedMetadata
from django.utils.translation import gettext_lazy as _
from ninja import Schema
from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic_core import PydanticCustomError

# Primary keys are 64-bit: a larger number can name nothing, and SQLite and PostgreSQL refuse to
# compare a column with it (it used to be a 500).
MAX_ID = 2**63 - 1
Id = Annotated[int, Field(ge=1, le=MAX_ID)]

# What str.strip() and Python's \\s call whitespace, spelled out for patterns: JSON Schema reads
# patterns as ECMAScript, whose \\s is another set, so no pattern here uses \\s (or $ before a
# newline: see Text.check).
WHITESPACE = "\\t-\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000"
# At least one character that str.strip() keeps.
NOT_BLANK = f"[^{WHITESPACE}]"

ERROR_PREFIX = "civility:"


def _refuse(code: str, message: Any) -> PydanticCustomError:
    # The message is a template for pydantic: braces in it would be read as fields. It may be a
    # lazy translation (gettext_lazy): said here, in the request's language.
    text = str(message)
    return PydanticCustomError(ERROR_PREFIX + code, text.replace("{", "(").replace("}", ")"))


class _Rule(GroupedMetadata):
    """Metadata for ``Annotated[T, rule]``: the JSON Schema keywords it declares and the
    validator that enforces exactly them."""

    schema: dict[str, Any]
    description: str | None = None

    def check(self, value: Any) -> Any:
        raise NotImplementedError

    def __iter__(self) -> Iterator[Any]:
        yield Field(json_schema_extra=self.schema, description=self.description)
        yield AfterValidator(self.check)


class Text(_Rule):
    """A string with a length limit and/or a pattern (searched, as JSON Schema does), each
    refused with its own (code, message)."""

    def __init__(
        self,
        *,
        max_length: int | None = None,
        too_long: tuple[str, Any] = ("too_long", _("The text is too long.")),
        min_length: int | None = None,
        too_short: tuple[str, Any] = ("too_short", _("The text is too short.")),
        pattern: str | None = None,
        mismatch: tuple[str, Any] = (
            "invalid_request",
            _("The text is not of the expected form."),
        ),
        description: str | None = None,
    ) -> None:
        self.max_length, self.too_long = max_length, too_long
        self.min_length, self.too_short = min_length, too_short
        self.pattern = re.compile(pattern) if pattern is not None else None
        self.mismatch, self.description = mismatch, description
        self.schema = {}
        if max_length is not None:
            self.schema["maxLength"] = max_length
        if min_length is not None:
            self.schema["minLength"] = min_length
        if pattern is not None:
            self.schema["pattern"] = pattern

    def check(self, value: str) -> str:
        if self.max_length is not None and len(value) > self.max_length:
            raise _refuse(*self.too_long)
        if self.min_length is not None and len(value) < self.min_length:
            raise _refuse(*self.too_short)
        if self.pattern is not None:
            found = self.pattern.search(value)
            # A final $ matches at the very end only, as in ECMAScript (Python's also matches
            # before a trailing newline).
            if found is None or (self.pattern.pattern.endswith("$") and found.end() < len(value)):
                raise _refuse(*self.mismatch)
        return value


class Const(_Rule):
    """A value that must be exactly ``value`` (e.g. a confirmation flag)."""

    def __init__(self, value: Any, code: str, message: Any) -> None:
        self.value, self.code, self.message = value, code, message
        self.schema = {"enum": [value]}

    def check(self, value: Any) -> Any:
        if value != self.value or type(value) is not type(self.value):
            raise _refuse(self.code, self.message)
        return value


def required(*names: str) -> Any:
    """``json_schema_extra`` for a model whose fields ``names`` have a default (the view
    refuses their absence with its own code) but which the document lists as required."""

    def extra(schema: dict[str, Any]) -> None:
        schema["required"] = sorted({*schema.get("required", []), *names})
        for name in names:
            schema.get("properties", {}).get(name, {}).pop("default", None)

    return extra


class OneOf(_Rule):
    """A string that must be one of ``choices`` (an enum in the document)."""

    def __init__(
        self, choices: Iterable[str], code: str, message: Any, description: str | None = None
    ) -> None:
        self.choices = frozenset(choices)
        self.code, self.message, self.description = code, message, description
        self.schema = {"enum": sorted(self.choices)}

    def check(self, value: str) -> str:
        if value not in self.choices:
            raise _refuse(self.code, self.message)
        return value


class Number(_Rule):
    """An integer within bounds, refused with (code, message) outside them."""

    def __init__(
        self, code: str, message: Any, *, minimum: int | None = None, maximum: int | None = None
    ) -> None:
        self.code, self.message = code, message
        self.minimum, self.maximum = minimum, maximum
        self.schema = {
            k: v for k, v in {"minimum": minimum, "maximum": maximum}.items() if v is not None
        }

    def check(self, value: int) -> int:
        if (self.minimum is not None and value < self.minimum) or (
            self.maximum is not None and value > self.maximum
        ):
            raise _refuse(self.code, self.message)
        return value


class MaxItems(_Rule):
    """A list of at most ``limit`` items."""

    def __init__(self, limit: int, code: str, message: str, description: str | None = None):
        self.limit, self.code, self.message = limit, code, message
        self.description = description
        self.schema = {"maxItems": limit}

    def check(self, value: list[Any]) -> list[Any]:
        if len(value) > self.limit:
            raise _refuse(self.code, self.message)
        return value


# --- answers ------------------------------------------------------------------------------------


class ErrorDetail(Schema):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(description="A stable, machine-readable reason, e.g. `unknown_story`.")
    message: str = Field(description="What went wrong, in words a reader can be shown.")


class Error(Schema):
    """Every error the API gives, whatever its status. 429 and 503 carry `Retry-After`."""

    model_config = ConfigDict(extra="forbid")
    error: ErrorDetail


def answers(ok: dict[int, Any], *errors: int) -> dict[int, Any]:
    """A route's ``response=``: its success answer(s) and the error statuses it can give."""
    return {**ok, **dict.fromkeys(errors, Error)}


class Out(BaseModel):
    """An answer: the fields listed are always there; fields added later pass through (a plain
    pydantic model: ninja's Schema reads attributes and would drop them)."""

    model_config = ConfigDict(extra="allow")


DateTime = Annotated[str, Field(json_schema_extra={"format": "date-time"})]
CommentStatus = Annotated[
    str, Field(json_schema_extra={"enum": ["pending", "approved", "rejected", "deleted"]})
]


class AuthorOut(Out):
    id: int
    name: str
    badges: list[str]
    url: str
    guest: bool


class CommentOut(Out):
    id: int
    story_id: int
    parent_id: int | None
    depth: int
    status: CommentStatus
    author: AuthorOut | None = Field(description="null for a deleted comment")
    html: str = Field(description="The sanitized HTML rendering; empty for a deleted comment.")
    created_at: DateTime
    edited: bool
    reaction_count: int
    featured: bool


class RejectedCommentOut(CommentOut):
    rejection_reason: str


class ThreadNodeOut(Out):
    id: int
    parent_id: int | None
    depth: int
    status: CommentStatus
    author: AuthorOut | None
    html: str
    deleted_text: str
    created_at: DateTime
    edited: bool
    reaction_count: int
    featured: bool
    replies: list[ThreadNodeOut]
    reply_count: int
    more_replies: int = Field(description="Replies cut at the depth limit: fetch the subtree.")


class StoryOut(Out):
    id: int
    site: str
    url: str
    title: str
    closed: bool


class ThreadStoryOut(Out):
    id: int
    url: str
    title: str
    closed: bool


class ThreadPageOut(Out):
    story: ThreadStoryOut
    sort: str
    total: int = Field(description="Published comments on the story, replies included.")
    top_level_total: int
    offset: int
    next_offset: int | None
    comments: list[ThreadNodeOut]


class SubtreeOut(Out):
    comment: ThreadNodeOut
    max_depth: int


class PostedOut(Out):
    comment: CommentOut
    message: str
    reasons: list[str] = Field(description="Why it was held or rejected, in plain words.")


class MyViewOut(Out):
    user: AuthorOut | None
    pending: list[CommentOut]
    rejected: list[RejectedCommentOut]
    reacted: list[int]


class DeletedCommentOut(Out):
    comment: CommentOut


class ReactedOut(Out):
    comment_id: int
    reacted: bool
    reaction_count: int


class ReportedOut(Out):
    report_id: int
    message: str


class CountsOut(Out):
    counts: dict[str, int] = Field(description="Published comments per URL asked for (0: none).")
    labels: dict[str, str] = Field(
        default_factory=dict,
        description="The same counts in words, in the language the request asks for"
        " (Accept-Language): '3 comments', '3 Kommentare'.",
    )


class SessionOut(Out):
    token: str = Field(description="The bearer token for `Authorization: Bearer ...`.")
    user: AuthorOut


class UserOut(Out):
    user: AuthorOut


class AccountDetailsOut(Out):
    kind: str
    email: str
    joined: DateTime
    has_password: bool


class AccountOut(Out):
    user: AuthorOut
    account: AccountDetailsOut


class ExportOut(Out):
    """Everything stored about the reader (GDPR Art. 15/20), as a JSON download."""


class AccountDeletedOut(Out):
    deleted: bool
    comments: int
    message: str


class CheckOut(Out):
    action: Annotated[str, Field(json_schema_extra={"enum": ["approve", "hold", "reject"]})]
    held: bool
    rejected: bool
    reasons: list[str]
    nudge: bool
    html: str


class FeaturedOut(Out):
    comments: list[CommentOut]


class ReaderStoryOut(Out):
    id: int
    title: str
    url: str


class ReaderCommentOut(CommentOut):
    story: ReaderStoryOut


class ReaderProfileOut(Out):
    user: AuthorOut
    joined: DateTime
    own: bool
    count: int
    comments: list[ReaderCommentOut]
