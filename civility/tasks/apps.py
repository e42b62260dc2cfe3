from django.apps import AppConfig


class TasksConfig(AppConfig):
    name = "civility.tasks"
    label = "civility_tasks"
    verbose_name = "Background tasks"
    default_auto_field = "django.db.models.BigAutoField"
