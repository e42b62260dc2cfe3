"""Sign-up, login, guest and SSO endpoints. Each answers with a bearer token for the widget."""

from __future__ import annotations

from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Field, Router, Schema

from civility.accounts import actions, tokens
from civility.api.auth import bearer, created
from civility.api.schemas import NOT_BLANK, SessionOut, Text, UserOut, answers
from civility.clientip import client_ip
from civility.comments.actions import get_site
from civility.comments.serialize import author_dict

router = Router(tags=["auth"])


# E-mail addresses Django's validate_email accepts, in a form every JSON Schema reader agrees on
# (a dot-atom local part, an ASCII host name); at most 150 characters, the length of the
# username column the address is stored in.
EMAIL = (
    r"^[A-Za-z0-9_%+-]+(?:\.[A-Za-z0-9_%+-]+)*"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$"
)
BAD_EMAIL = ("invalid_email", "That is not a valid email address.")
NAME_LIMIT = 80


class SignupIn(Schema):
    email: Annotated[
        str, Text(max_length=150, too_long=BAD_EMAIL, pattern=EMAIL, mismatch=BAD_EMAIL)
    ]
    password: Annotated[
        str,
        Text(
            min_length=8,
            too_short=("weak_password", "This password is too short: at least 8 characters."),
            description="At least 8 characters, and not one of the most common passwords.",
        ),
    ]
    display_name: Annotated[
        str,
        Text(
            max_length=NAME_LIMIT,
            too_long=("invalid_name", f"The display name is longer than {NAME_LIMIT} characters."),
            description="Blank: the part of the e-mail address before the @.",
        ),
    ] = ""


class LoginIn(Schema):
    email: str
    password: str


class GuestIn(Schema):
    site: str = Field(description="The site's slug.", examples=["news"])
    name: Annotated[
        str,
        Text(
            max_length=NAME_LIMIT,
            too_long=("invalid_name", f"The name is longer than {NAME_LIMIT} characters."),
            pattern=NOT_BLANK,
            mismatch=("invalid_name", "The name is empty."),
        ),
    ]


class SsoIn(Schema):
    site: str = Field(description="The site's slug.", examples=["news"])
    token: str = Field(description="The publisher's signed JWT (HS256, with jti, iat and exp).")


def _session(user: Any) -> dict[str, Any]:
    return {"token": tokens.issue(user), "user": author_dict(user)}


@router.post("/signup", response=answers({201: SessionOut}, 400, 409, 413, 429, 503))
def signup(request: HttpRequest, payload: SignupIn) -> Any:
    name = payload.display_name
    if not name.strip():  # the address's local part, which may be longer than a name
        name = payload.email.strip().lower().split("@")[0][:NAME_LIMIT]
    user = actions.signup(payload.email, payload.password, name, ip=client_ip(request.META))
    return created(_session(user))


@router.post("/login", response=answers({200: SessionOut}, 400, 401, 413, 429, 503))
def login(request: HttpRequest, payload: LoginIn) -> dict[str, Any]:
    return _session(actions.login(request, payload.email, payload.password))


@router.post("/guest", response=answers({201: SessionOut}, 400, 403, 404, 413, 429, 503))
def guest(request: HttpRequest, payload: GuestIn) -> Any:
    user = actions.guest(get_site(payload.site), payload.name, ip=client_ip(request.META))
    return created(_session(user))


@router.post("/sso", response=answers({200: SessionOut}, 400, 401, 403, 404, 413, 503))
def sso(request: HttpRequest, payload: SsoIn) -> dict[str, Any]:
    return _session(actions.sso_login(get_site(payload.site), payload.token))


@router.get("/me", auth=bearer, response=answers({200: UserOut}, 401))
def me(request: HttpRequest) -> dict[str, Any]:
    return {"user": author_dict(request.auth)}  # type: ignore[attr-defined]
