"""The signed-in reader's own account: what is stored about them, a copy of it, and deletion.

`GET /me` (the account), `GET /me/export` (all their data as a JSON download, GDPR Art. 15/20),
`DELETE /me` (erase the account, Art. 17: comments become "[deleted]" placeholders). Thin views
over civility.accounts.data_rights. And the account's settings: `POST /me/password` (change it),
`POST /me/verify-email` (mail the confirmation link again), `GET`/`PUT /me/notifications`
(notification e-mail, opt-in), over civility.accounts.actions.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import Field, Router, Schema
from pydantic import ConfigDict, StrictBool

from civility.accounts import actions, data_rights, tokens
from civility.api.auth import accepted, bearer
from civility.api.schemas import (
    AccountDeletedOut,
    AccountOut,
    Const,
    ExportOut,
    Out,
    SessionOut,
    Text,
    answers,
    required,
)
from civility.clientip import client_ip
from civility.comments.serialize import author_dict

router = Router(tags=["me"])


class DeleteMeIn(Schema):
    # Listed as required; its absence is refused by data_rights with the same code.
    model_config = ConfigDict(json_schema_extra=required("confirm"))

    confirm: Annotated[
        bool,
        Const(
            True,
            "confirm_required",
            gettext_lazy('Confirm with "confirm": true: this cannot be undone.'),
        ),
    ] = False
    # Required for accounts with a password (local sign-up); guest and SSO accounts have none.
    password: str = ""


@router.get("/me", auth=bearer, response=answers({200: AccountOut}, 401))
def account(request: HttpRequest) -> dict[str, Any]:
    user = request.auth  # type: ignore[attr-defined]
    return {
        "user": author_dict(user),
        "account": {
            "kind": data_rights.account_kind(user),
            "email": user.email,
            "joined": user.date_joined.isoformat(),
            "has_password": user.has_usable_password(),
            "email_verified": user.email_verified_at is not None,
        },
    }


@router.get("/me/export", auth=bearer, response=answers({200: ExportOut}, 401, 503))
def export(request: HttpRequest) -> HttpResponse:
    data = data_rights.export_own_data(user=request.auth)  # type: ignore[attr-defined]
    response = HttpResponse(
        json.dumps(data, indent=2, ensure_ascii=False), content_type="application/json"
    )
    response["Content-Disposition"] = 'attachment; filename="civility-my-data.json"'
    response["Cache-Control"] = "no-store"
    return response


@router.delete(
    "/me",
    auth=bearer,
    response=answers({200: AccountDeletedOut}, 400, 401, 403, 413, 429, 503),
)
def delete(request: HttpRequest, payload: DeleteMeIn) -> dict[str, Any]:
    result = data_rights.delete_own_account(
        user=request.auth,  # type: ignore[attr-defined]
        password=payload.password,
        confirm=payload.confirm,
    )
    return {
        "deleted": True,
        "comments": result["comments"],
        "message": _("Your account is deleted. Your comments now show as deleted."),
    }


class PasswordChangeIn(Schema):
    old_password: Annotated[str, Text(max_length=4096)]
    new_password: Annotated[
        str,
        Text(
            min_length=8,
            too_short=(
                "weak_password",
                gettext_lazy("This password is too short: at least 8 characters."),
            ),
            max_length=4096,
            too_long=(
                "weak_password",
                gettext_lazy("This password is longer than 4096 characters."),
            ),
        ),
    ]


class NotificationsIn(Schema):
    # Strict: 0 or "yes" is a 400, not quietly read as a boolean.
    replies: StrictBool | None = Field(None, description="E-mail when someone replies to you.")
    moderation: StrictBool | None = Field(
        None, description="E-mail when a moderator publishes, rejects or features your comment."
    )


class NotificationsOut(Out):
    replies: bool
    moderation: bool
    email: str
    email_verified: bool
    every_minutes: float = Field(description="At most one message this often.")


class MessageOut(Out):
    message: str


@router.post(
    "/me/password",
    auth=bearer,
    response=answers({200: SessionOut}, 400, 401, 403, 409, 413, 429, 503),
)
def change_password(request: HttpRequest, payload: PasswordChangeIn) -> dict[str, Any]:
    """Change the password. Every other sign-in of the account ends; the answer carries this
    device's new token."""
    user = actions.change_password(
        user=request.auth,  # type: ignore[attr-defined]
        old_password=payload.old_password,
        new_password=payload.new_password,
    )
    return {"token": tokens.issue(user), "user": author_dict(user)}


@router.post(
    "/me/verify-email", auth=bearer, response=answers({202: MessageOut}, 401, 409, 429, 503)
)
def verify_email(request: HttpRequest) -> Any:
    """Mail the link that confirms the account's address (again)."""
    message = actions.request_verification(
        user=request.auth,  # type: ignore[attr-defined]
        ip=client_ip(request.META),
    )
    return accepted({"message": message})


@router.get("/me/notifications", auth=bearer, response=answers({200: NotificationsOut}, 401))
def notifications(request: HttpRequest) -> dict[str, Any]:
    return actions.notification_settings(request.auth)  # type: ignore[attr-defined]


@router.put(
    "/me/notifications",
    auth=bearer,
    response=answers({200: NotificationsOut}, 400, 401, 409, 413, 503),
)
def set_notifications(request: HttpRequest, payload: NotificationsIn) -> dict[str, Any]:
    """Opt in or out of notification e-mail (fields left out stay as they are). Mail goes only
    to a confirmed address: opting in with an unconfirmed one mails the confirmation link."""
    return actions.set_notifications(
        user=request.auth,  # type: ignore[attr-defined]
        replies=payload.replies,
        moderation=payload.moderation,
        ip=client_ip(request.META),
    )
