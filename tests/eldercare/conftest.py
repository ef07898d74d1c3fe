import pytest


@pytest.fixture(autouse=True)
def plain_static_storage(settings):
    """Tests render templates without running collectstatic, so the manifest storage has no manifest to read."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def eldercare_rules(request):
    """The rule tables' defaults (a migration seeds them, but a transactional test's flush empties them again)."""
    marker = request.node.get_closest_marker("django_db")
    transactional = (marker is not None and marker.kwargs.get("transaction")) or any(
        name in request.fixturenames for name in ("transactional_db", "live_server", "page")
    )
    if marker is None and not transactional:
        return
    request.getfixturevalue("transactional_db" if transactional else "db")
    from eldercare import reference

    reference.load()
