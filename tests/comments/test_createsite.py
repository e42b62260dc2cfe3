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


@pytest.mark.django_db
def test_createsite_snippet_points_where_readers_reach_civility(capsys, settings, tmp_path):
    """--url, else CIVILITY_PUBLIC_URL, else the address a `civility demo` on this data folder
    recorded (it may run on another port), else the default."""
    settings.DATA_DIR = tmp_path
    settings.PUBLIC_URL_CONFIGURED = False
    settings.PUBLIC_URL = "http://127.0.0.1:8000"
    (tmp_path / "demo-url").write_text("http://127.0.0.1:9123\n")
    call_command("createsite", "courier", "--origin", "https://courier.example")
    assert 'src="http://127.0.0.1:9123/embed.js"' in capsys.readouterr().out
    call_command("createsite", "courier", "--url", "https://comments.courier.example/")
    assert 'src="https://comments.courier.example/embed.js"' in capsys.readouterr().out
    settings.PUBLIC_URL_CONFIGURED = True
    settings.PUBLIC_URL = "https://talk.courier.example"
    call_command("createsite", "courier")
    assert 'src="https://talk.courier.example/embed.js"' in capsys.readouterr().out
    with pytest.raises(CommandError, match="--url must look like"):
        call_command("createsite", "courier", "--url", "courier.example")
