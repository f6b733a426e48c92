from django.apps import AppConfig


class WebConfig(AppConfig):
    """The roof: the project's URLconf, the API's, the home page and the navigation. It may import
    every app; no app imports it."""

    name = "web"
    verbose_name = "Web"
