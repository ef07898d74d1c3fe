"""Factories that make one record of a scoped model inside a given division, for the permission-matrix test.

Each test area registers its own in `tests/<area>/factories.py`:

    @scoped_factory("assistance.Application")
    def make_application(division_code: str): ...

The matrix test imports every tests/**/factories.py, and for a URL whose view declares `@access(model=M)` it
makes one M in the user's own division and one in another district, then expects 200/302 and 404.

URLs whose kwargs are not one scoped record's pk (city-wide reference data, a kind's code) get theirs from a
function registered for their URL names:

    @sample_kwargs("checks:item_edit")
    def item_kwargs(division_code: str) -> dict: ...
"""

from __future__ import annotations

from collections.abc import Callable

SCOPED_FACTORIES: dict[str, Callable[[str], object]] = {}


def scoped_factory(model_label: str):
    def register(func: Callable[[str], object]):
        SCOPED_FACTORIES[model_label] = func
        return func

    return register


SAMPLE_KWARGS: dict[str, Callable[[str], dict]] = {}


def sample_kwargs(*url_names: str):
    """Register the permission matrix's URL kwargs for the named URLs (it runs inside the test's transaction)."""

    def register(func: Callable[[str], dict]):
        for name in url_names:
            SAMPLE_KWARGS[name] = func
        return func

    return register
