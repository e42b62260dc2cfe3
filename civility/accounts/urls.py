from django.urls import URLPattern, URLResolver, path

from civility.accounts import views

# The pages the links in account e-mail open (civility/accounts/mail.py, notifications.py).
urlpatterns: list[URLPattern | URLResolver] = [
    path("accounts/reset/<str:uidb64>/<str:token>/", views.reset_password, name="account-reset"),
    path("accounts/verify/<str:uidb64>/<str:token>/", views.verify_email, name="account-verify"),
    path("accounts/unsubscribe/<str:token>/", views.unsubscribe, name="account-unsubscribe"),
]
