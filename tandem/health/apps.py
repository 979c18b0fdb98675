from django.apps import AppConfig


class HealthConfig(AppConfig):
    name = "tandem.health"
    label = "health"
