from django.contrib import admin

from civility.webhooks.models import WebhookDelivery, WebhookEndpoint


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    list_display = ("url", "site", "events", "active", "created_at")
    list_filter = ("site", "active")
    exclude = ("secret", "previous_secret")


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = (
        "created_at",
        "event_type",
        "endpoint",
        "status",
        "attempts",
        "last_status_code",
        "last_error",
    )
    list_filter = ("status", "event_type", "endpoint__site")
    search_fields = ("msg_id", "order_key")
    readonly_fields = [f.name for f in WebhookDelivery._meta.fields]
