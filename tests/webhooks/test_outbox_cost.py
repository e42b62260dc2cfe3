"""`webhook_event` on the post path: a site without endpoints costs one plain query."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

pytestmark = pytest.mark.django_db


def test_a_site_without_endpoints_costs_one_query_and_writes_nothing(site, story, make_reader):
    from civility.comments.actions import store_comment
    from civility.webhooks.models import WebhookDelivery, WebhookEndpoint
    from civility.webhooks.outbox import webhook_event

    comment = store_comment(story=story, author=make_reader(), body="Hello", status="approved")
    WebhookEndpoint.objects.create(site=site, url="https://hooks.example/x", active=False)
    with CaptureQueriesContext(connection) as queries:
        assert webhook_event("comment.created", site=site, comment=comment) == 0
    assert len(queries) == 1
    assert not WebhookDelivery.objects.exists()


def test_a_site_with_an_endpoint_still_gets_its_event(site, story, make_reader):
    from civility.comments.actions import store_comment
    from civility.webhooks.models import WebhookDelivery, WebhookEndpoint
    from civility.webhooks.outbox import webhook_event

    comment = store_comment(story=story, author=make_reader(), body="Hello", status="approved")
    WebhookEndpoint.objects.create(site=site, url="https://hooks.example/x", secret="whsec_x")
    WebhookEndpoint.objects.create(
        site=site, url="https://hooks.example/y", secret="whsec_y", events=["user.banned"]
    )
    assert webhook_event("comment.created", site=site, comment=comment) == 1
    assert WebhookDelivery.objects.get().event_type == "comment.created"
