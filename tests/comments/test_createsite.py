import pytest
from django.core.management import CommandError, call_command

from civility.comments.models import Site


@pytest.mark.django_db
def test_createsite_registers_origins_and_prints_the_snippet(capsys):
    call_command(
        "createsite",
        "courier",
        "--name",
        "The Courier",
        "--origin",
        "https://courier.example/",
        "--sso-secret",
    )
    out = capsys.readouterr().out
    site = Site.objects.get(slug="courier")
    assert site.allowed_origins == ["https://courier.example"] and len(site.sso_secret) > 30
    assert 'data-site="courier"' in out and site.sso_secret in out
    with pytest.raises(CommandError):
        call_command("createsite", "courier", "--origin", "courier.example")
