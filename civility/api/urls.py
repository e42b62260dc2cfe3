from django.urls import URLPattern, URLResolver, path

from civility.api.v1 import api
from civility.comments.views import story_events

urlpatterns: list[URLPattern | URLResolver] = [
    # Server-sent events are a plain streaming view, listed before the ninja routes.
    path("api/v1/stories/<int:story_id>/events", story_events, name="story-events"),
    path("api/v1/", api.urls),
]
