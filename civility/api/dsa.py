"""Statements of reasons and appeals for the reader (EU Digital Services Act, Art. 17 and 20).

`GET /me/statements` (every decision about the reader), `GET /statements/{id}` (one),
`POST /statements/{id}/appeal` (contest a removal or ban within the appeal window). Thin views
over civility.moderation.dsa and civility.moderation.appeals; every refusal is the one JSON
error body (too_late, not_yours, already_appealed, not_appealable ...).
"""

from __future__ import annotations

from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Field, Router, Schema

from civility.api.auth import bearer, created
from civility.api.schemas import Id, Out, Text, answers
from civility.errors import Refused
from civility.moderation import appeals, dsa
from civility.moderation.models import Statement

router = Router(tags=["statements"])


class AppealOut(Out):
    id: int
    status: str = Field(description="open, upheld or reversed")
    status_label: str
    text: str
    created_at: str
    decided_at: str | None
    outcome_reason: str = Field(description="The deciding moderator's reason, once decided.")


class StatementOut(Out):
    id: int
    site: str
    comment_id: int | None
    decision: str = Field(description="removal, visibility_restriction or account_suspension")
    decision_label: str
    until: str | None = Field(description="For an account: suspended until (null: banned).")
    facts: str
    scope: str = Field(description="Where the decision applies (this site only).")
    duration: str = Field(description="For how long, in words.")
    text: str = Field(description="The comment's text when it was decided.")
    spans: list[dict[str, Any]] = Field(description="The flagged parts: start, end, text.")
    ground: str = Field(description="A code of the site's community guidelines.")
    ground_label: str
    guideline: str = Field(description="The site's guideline sentence for that code.")
    explanation: str
    automated_detection: bool
    automated_decision: bool
    redress: str
    appeal_until: str | None
    can_appeal: bool
    appeal: AppealOut | None
    created_at: str


class StatementsOut(Out):
    statements: list[StatementOut]


class AppealedOut(Out):
    appeal: AppealOut
    statement: StatementOut
    message: str


class AppealIn(Schema):
    text: Annotated[
        str,
        Text(
            max_length=appeals.MAX_APPEAL,
            too_long=("too_long", f"The appeal is longer than {appeals.MAX_APPEAL} characters."),
            description="Why the decision is wrong, in the author's words (may be empty).",
        ),
    ] = ""


def _own_statement(user: Any, statement_id: int) -> Statement:
    st = Statement.objects.select_related("site").filter(pk=statement_id).first()
    if st is None:
        raise Refused("unknown_statement", f"There is no statement {statement_id}.", 404)
    if st.user_id != user.pk:
        raise Refused("not_yours", "This decision is about someone else.", 403)
    return st


@router.get("/me/statements", auth=bearer, response=answers({200: StatementsOut}, 401))
def my_statements(request: HttpRequest) -> dict[str, Any]:
    """Every statement of reasons about the signed-in reader, newest first."""
    user = request.auth  # type: ignore[attr-defined]
    return {"statements": [dsa.statement_dict(st) for st in dsa.user_statements(user)]}


@router.get(
    "/statements/{statement_id}",
    auth=bearer,
    response=answers({200: StatementOut}, 400, 401, 403, 404),
)
def statement(request: HttpRequest, statement_id: Id) -> dict[str, Any]:
    """A statement of reasons about the signed-in reader: the decision and how to contest it."""
    return dsa.statement_dict(_own_statement(request.auth, statement_id))  # type: ignore[attr-defined]


@router.post(
    "/statements/{statement_id}/appeal",
    auth=bearer,
    response=answers({201: AppealedOut}, 400, 401, 403, 404, 409, 413, 503),
)
def appeal(request: HttpRequest, statement_id: Id, payload: AppealIn) -> Any:
    """Contest a removal or a ban: a person who did not take the decision reviews it."""
    filed = appeals.file_appeal(
        user=request.auth,  # type: ignore[attr-defined]
        statement_id=statement_id,
        text=payload.text,
    )
    st = Statement.objects.select_related("site").get(pk=filed.statement_id)
    return created(
        {
            "appeal": dsa.appeal_dict(filed),
            "statement": dsa.statement_dict(st, appeal=filed),
            "message": "Your appeal is received; a moderator will review the decision.",
        }
    )
