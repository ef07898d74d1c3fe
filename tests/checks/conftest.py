from __future__ import annotations

import pytest


@pytest.fixture
def catalogue(divisions):
    from assistance import reference as assistance_reference
    from assistance.checks import reference

    assistance_reference.load()
    reference.load()
