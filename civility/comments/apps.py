from django.apps import AppConfig


class CommentsConfig(AppConfig):
    name = "civility.comments"
    label = "comments"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from civility.comments import signals  # noqa: F401  (connects the receivers)
