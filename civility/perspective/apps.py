from django.apps import AppConfig


class PerspectiveConfig(AppConfig):
    name = "civility.perspective"
    label = "perspective"
    default_auto_field = "django.db.models.BigAutoField"
