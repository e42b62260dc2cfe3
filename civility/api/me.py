"""The signed-in reader's own account: what is stored about them, a copy of it, and deletion.

`GET /me` (the account), `GET /me/export` (all their data as a JSON download, GDPR Art. 15/20),
`DELETE /me` (erase the account, Art. 17: comments become "[deleted]" placeholders). Thin views
over civility.accounts.data_rights.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema
from pydantic import ConfigDict

from civility.accounts import data_rights
from civility.api.auth import bearer
from civility.api.schemas import (
    AccountDeletedOut,
    AccountOut,
    Const,
    ExportOut,
    answers,
    required,
)
from civility.comments.serialize import author_dict

router = Router(tags=["me"])


class DeleteMeIn(Schema):
    # Listed as required; its absence is refused by data_rights with the same code.
    model_config = ConfigDict(json_schema_extra=required("confirm"))

    confirm: Annotated[
        bool,
        Const(True, "confirm_required", 'Confirm with "confirm": true: this cannot be undone.'),
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
        "message": "Your account is deleted. Your comments now show as deleted.",
    }
