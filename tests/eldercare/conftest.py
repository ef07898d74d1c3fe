import pytest


@pytest.fixture(autouse=True)
def plain_static_storage(settings):
    """Tests render templates without running collectstatic, so the manifest storage has no manifest to read."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
