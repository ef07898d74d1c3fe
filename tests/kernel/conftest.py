import pytest


@pytest.fixture(autouse=True)
def _plain_static_storage(settings):
    """Templates use {% static %}; tests don't run collectstatic, so use the non-manifest storage."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
