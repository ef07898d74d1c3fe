"""THE formula-neutralising rule for every exported cell (roster, raises, checks report, audit log, list exports).

A leaf module (imports nothing of the project) so every writer can use it. OWASP CSV injection: a text cell that
begins with =, +, -, @, tab or carriage return gets a leading apostrophe; other values pass unchanged.
"""

from __future__ import annotations

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    """A text cell a spreadsheet would read as a formula gets a leading apostrophe; anything else is returned as is."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value
