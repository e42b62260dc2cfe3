"""Fixtures for webhooks and background tasks: a site with an admin, a reader, a story, a real
receiver, and settings that make retries quick."""

from __future__ import annotations

import itertools

import pytest

from tests import fixtures
from tests.tasks.helpers import Receiver

_seq = itertools.count(1)


_fresh_cache = fixtures.clear_cache


@pytest.fixture
def quick_retries(settings):
    settings.TASK_RETRY_SECONDS = 0.05
    settings.TASK_RETRY_MAX_SECONDS = 0.4
    settings.WEBHOOK_TIMEOUT = 2.0
    settings.WORKER_LEASE_SECONDS = 1.0
    return settings


@pytest.fixture
def site(transactional_db):
    return fixtures.daily_news()


@pytest.fixture
def story(site):
    return fixtures.war_report(site)


@pytest.fixture
def admin(site):
    from civility.accounts.models import User
    from civility.moderation.models import SiteMembership

    user = User.objects.create_user(username=f"admin{next(_seq)}", password="pw-admin-123")
    SiteMembership.objects.create(site=site, user=user, role="admin")
    return user


@pytest.fixture
def make_reader(site):
    from civility.accounts.models import User

    def make(name: str | None = None):
        name = name or f"reader{next(_seq)}"
        return User.objects.create_user(username=name, password="pw-" + name, display_name=name)

    return make


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.stop()
    r.hold.set()
