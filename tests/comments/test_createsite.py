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


@pytest.mark.django_db
def test_createsite_goes_through_the_audited_action_and_never_logs_the_secret(capsys):
    from civility.moderation.models import AuditEntry

    call_command("createsite", "courier", "--origin", "https://courier.example", "--sso-secret")
    call_command("createsite", "courier", "--guests")
    site = Site.objects.get(slug="courier")
    entries = list(AuditEntry.objects.filter(site=site).order_by("id"))
    assert [e.action for e in entries] == ["site.created", "site.updated"]
    assert entries[0].data["sso_secret_rotated"] is True and entries[1].data["guests"] is True
    assert all(site.sso_secret not in str(e.data) for e in entries)
