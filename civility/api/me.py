"""The signed-in reader's own account: what is stored about them, a copy of it, and deletion.

`GET /me` (the account), `GET /me/export` (all their data as a JSON download, GDPR Art. 15/20),
`DELETE /me` (erase the account, Art. 17: comments become "[deleted]" placeholders). Thin views
over civility.accounts.data_rights.
"""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema

from civility.accounts import data_rights
from civility.api.auth import bearer
from civility.comments.serialize import author_dict

router = Router(tags=["me"])


class DeleteMeIn(Schema):
    confirm: bool = False
    # Required for accounts with a password (local sign-up); guest and SSO accounts have none.
    password: str = ""


@router.get("/me", auth=bearer)
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


@router.get("/me/export", auth=bearer)
def export(request: HttpRequest) -> HttpResponse:
    data = data_rights.export_own_data(user=request.auth)  # type: ignore[attr-defined]
    response = HttpResponse(
        json.dumps(data, indent=2, ensure_ascii=False), content_type="application/json"
    )
    response["Content-Disposition"] = 'attachment; filename="civility-my-data.json"'
    response["Cache-Control"] = "no-store"
    return response


@router.delete("/me", auth=bearer)
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
