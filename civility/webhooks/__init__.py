"""Signed webhooks (Standard Webhooks): per-site endpoints, an outbox written in the action's
transaction, deliveries as background tasks with retries, in order per comment.

- models.py: WebhookEndpoint (URL, event filter, whsec_ secret and the rotated-out one) and
  WebhookDelivery (one event for one endpoint: the exact body, its webhook-id, attempts, the
  delivery log the desk shows).
- outbox.py: `webhook_event(...)`, the one helper action functions call.
- delivery.py: the `deliver` task, the sweep that re-queues lost deliveries.
- signing.py: webhook-id / webhook-timestamp / webhook-signature headers (standardwebhooks).
- actions.py: add, change, rotate, remove endpoints; replay a delivery; the site's text option.
"""
