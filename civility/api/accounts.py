"""Sign-up, login, guest and SSO endpoints (each answers with a bearer token for the widget);
signing out, password reset and address verification."""

from __future__ import annotations

from typing import Annotated, Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Field, Router, Schema

from civility.accounts import actions, tokens
from civility.api.auth import accepted, bearer, created
from civility.api.schemas import NOT_BLANK, Out, SessionOut, Text, UserOut, answers
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
BAD_EMAIL = ("invalid_email", _("That is not a valid email address."))
NAME_LIMIT = 80


class SignupIn(Schema):
    email: Annotated[
        str, Text(max_length=150, too_long=BAD_EMAIL, pattern=EMAIL, mismatch=BAD_EMAIL)
    ]
    password: Annotated[
        str,
        Text(
            min_length=8,
            too_short=("weak_password", _("This password is too short: at least 8 characters.")),
            description="At least 8 characters, and not one of the most common passwords.",
        ),
    ]
    display_name: Annotated[
        str,
        Text(
            max_length=NAME_LIMIT,
            too_long=("invalid_name", _("The display name is longer than 80 characters.")),
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
            too_long=("invalid_name", _("The name is longer than 80 characters.")),
            pattern=NOT_BLANK,
            mismatch=("invalid_name", _("The name is empty.")),
        ),
    ]


class SsoIn(Schema):
    site: str = Field(description="The site's slug.", examples=["news"])
    token: str = Field(description="The publisher's signed JWT (HS256, with jti, iat and exp).")


class PasswordResetIn(Schema):
    email: Annotated[
        str, Text(max_length=254, too_long=BAD_EMAIL, pattern=EMAIL, mismatch=BAD_EMAIL)
    ]


LINK_PART = Text(
    max_length=200,
    too_long=("invalid_link", _("This link is invalid or has expired: ask for a new one.")),
)


class PasswordResetConfirmIn(Schema):
    uid: Annotated[str, LINK_PART] = Field(description="The `uid` part of the mailed link.")
    token: Annotated[str, LINK_PART] = Field(description="The `token` part of the mailed link.")
    new_password: Annotated[
        str,
        Text(
            min_length=8,
            too_short=("weak_password", _("This password is too short: at least 8 characters.")),
            max_length=4096,
            too_long=("weak_password", _("This password is longer than 4096 characters.")),
        ),
    ]


class VerifyEmailIn(Schema):
    uid: Annotated[str, LINK_PART] = Field(description="The `uid` part of the mailed link.")
    token: Annotated[str, LINK_PART] = Field(description="The `token` part of the mailed link.")


class MessageOut(Out):
    message: str


class SignedOutOut(Out):
    signed_out: bool


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


@router.post("/logout", auth=bearer, response=answers({200: SignedOutOut}, 401, 503))
def logout(request: HttpRequest) -> dict[str, Any]:
    """Sign out on the server: this bearer token stops working everywhere, at once."""
    token = request.headers.get("Authorization", "")[7:].strip()
    actions.sign_out(user=request.auth, token=token)  # type: ignore[attr-defined]
    return {"signed_out": True}


@router.post("/password-reset", response=answers({202: MessageOut}, 400, 413, 429, 503))
def password_reset(request: HttpRequest, payload: PasswordResetIn) -> Any:
    """Mail a link for choosing a new password. The answer is the same whether or not the
    address has an account; at most CIVILITY_EMAIL_REQUESTS_PER_HOUR an hour per address and
    per client."""
    message = actions.request_password_reset(email=payload.email, ip=client_ip(request.META))
    return accepted({"message": message})


@router.post("/password-reset/confirm", response=answers({200: SessionOut}, 400, 413, 429, 503))
def password_reset_confirm(request: HttpRequest, payload: PasswordResetConfirmIn) -> Any:
    """Set the new password with the mailed link's uid and token; every earlier sign-in ends,
    and this answer signs the reader in."""
    user = actions.reset_password(
        uidb64=payload.uid, token=payload.token, new_password=payload.new_password
    )
    return _session(user)


@router.post("/verify-email", response=answers({200: UserOut}, 400, 413, 503))
def verify_email(request: HttpRequest, payload: VerifyEmailIn) -> dict[str, Any]:
    """Confirm the address with the mailed link's uid and token."""
    return {"user": author_dict(actions.verify_email(uidb64=payload.uid, token=payload.token))}
