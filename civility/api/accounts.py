"""Sign-up, login, guest and SSO endpoints. Each answers with a bearer token for the widget."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from civility.accounts import actions, tokens
from civility.api.auth import created
from civility.clientip import client_ip
from civility.comments.actions import get_site
from civility.comments.serialize import author_dict

router = Router(tags=["auth"])


class SignupIn(Schema):
    email: str
    password: str
    display_name: str = ""


class LoginIn(Schema):
    email: str
    password: str


class GuestIn(Schema):
    site: str
    name: str


class SsoIn(Schema):
    site: str
    token: str


def _session(user: Any) -> dict[str, Any]:
    return {"token": tokens.issue(user), "user": author_dict(user)}


@router.post("/signup", response={201: dict})
def signup(request: HttpRequest, payload: SignupIn) -> Any:
    user = actions.signup(
        payload.email, payload.password, payload.display_name, ip=client_ip(request.META)
    )
    return created(_session(user))


@router.post("/login")
def login(request: HttpRequest, payload: LoginIn) -> dict[str, Any]:
    return _session(actions.login(request, payload.email, payload.password))


@router.post("/guest", response={201: dict})
def guest(request: HttpRequest, payload: GuestIn) -> Any:
    user = actions.guest(get_site(payload.site), payload.name, ip=client_ip(request.META))
    return created(_session(user))


@router.post("/sso")
def sso(request: HttpRequest, payload: SsoIn) -> dict[str, Any]:
    return _session(actions.sso_login(get_site(payload.site), payload.token))


@router.get("/me")
def me(request: HttpRequest) -> dict[str, Any]:
    from civility.api.auth import optional_user
    from civility.errors import Refused

    user = optional_user(request)
    if user is None:
        raise Refused("unauthenticated", "Sign in first (a valid bearer token is needed).", 401)
    return {"user": author_dict(user)}
