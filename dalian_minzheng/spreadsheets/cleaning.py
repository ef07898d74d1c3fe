"""Per-cell cleaning: each column's cleaner turns a cell into its value or a `RowError` with a Chinese reason (ID
checksum, date, choice, phone, division in scope). Built once per column (`cell_cleaner`), called per cell."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from dalian_minzheng.people import idnumbers
from dalian_minzheng.spreadsheets.registry import (
    Column,
    Context,
    RowError,
    clean_text,
    header_key,
    parse_date,
)

if TYPE_CHECKING:
    from dalian_minzheng.spreadsheets.headers import Prepared

_PHONE_CHARS = set("0123456789-+ ")


def display_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)


# ---------------------------------------------------------------- cleaning


def _clean_id(column: Column, value: Any) -> idnumbers.ResidentId | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise RowError(
            column.key,
            display_value(value) if isinstance(value, int) else repr(value),
            _(
                "The ID number is stored in Excel as a number, so its last digits may be lost; "
                "format the column as text and type the number again."
            ),
        )
    text = clean_text(value)
    if not text:
        return None
    try:
        return idnumbers.parse(text)
    except ValidationError as exc:
        raise RowError(column.key, text, exc.messages[0]) from None


def _clean_date(column: Column, value: Any):
    if type(value) is str and len(value) == 10:
        try:  # the common "1990-01-01" without the general parser
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    try:
        return parse_date(value)
    except ValueError as exc:
        raise RowError(column.key, display_value(value), str(exc)) from None


def _clean_choice(column: Column, value: Any) -> str | None:
    text = clean_text(value)
    if not text:
        return None
    choices = column.choice_map()
    stored = choices.get(text) or choices.get(header_key(text))
    if stored is None:
        raise RowError(
            column.key,
            text,
            _("“%(value)s” is not one of: %(choices)s.") % {"value": text, "choices": "、".join(column.choices)},
        )
    return stored


def _clean_phone(column: Column, value: Any) -> str | None:
    text = clean_text(value)
    if not text:
        return None
    if not 5 <= len(text) <= 20 or not ((text.isascii() and text.isdigit()) or set(text) <= _PHONE_CHARS):
        raise RowError(column.key, text, _("A phone number has 5 to 20 digits."))
    return text.replace(" ", "")


def _clean_division(column: Column, value: Any, ctx: Context) -> str | None:
    text = clean_text(value)
    if not text:
        return None
    if text not in ctx.division_codes:
        raise RowError(column.key, text, _("Unknown division code."))
    if not text.startswith(ctx.scope_prefix):
        raise RowError(column.key, text, _("This division is outside your area; the row cannot be imported."))
    return text


def _clean_text(column: Column, value: Any) -> str | None:
    return clean_text(value) or None


def clean_cell(column: Column, value: Any, ctx: Context) -> Any:
    """The cleaned value, None for an empty cell, or RowError. The one definition of what a cell may hold: the
    engine (through `cell_cleaner`) and the django-import-export resources both use it."""
    if column.kind == "division":
        return _clean_division(column, value, ctx)
    return _CLEANERS[_cleaner_kind(column)](column, value)


_CLEANERS: dict[str, Callable[[Column, Any], Any]] = {
    "id_number": _clean_id,
    "date": _clean_date,
    "choice": _clean_choice,
    "phone": _clean_phone,
    "text": _clean_text,
}


def _cleaner_kind(column: Column) -> str:
    if column.kind in ("id_number", "date"):
        return column.kind
    if column.choices:
        return "choice"
    return column.kind if column.kind in _CLEANERS else "text"


class _Failed:
    """A remembered RowError (raised anew each time, so no traceback piles up on one instance)."""

    __slots__ = ("column", "value", "reason")

    def __init__(self, exc: RowError):
        self.column, self.value, self.reason = exc.column, exc.value, exc.reason


def cell_cleaner(column: Column, ctx: Context) -> Callable[[Any], Any]:
    """`clean_cell` for one column, made once per file. Columns with few distinct values (choices, division codes)
    remember each raw value's outcome; ID columns remember the previous row's (the head's number repeats on every
    member row)."""
    kind = _cleaner_kind(column)
    if column.kind == "division" or kind == "choice":
        memo: dict[Any, Any] = {}

        def remembered(value: Any) -> Any:
            try:
                outcome = memo[value]
            except KeyError:
                try:
                    outcome = clean_cell(column, value, ctx)
                except RowError as exc:
                    outcome = _Failed(exc)
                except TypeError:  # an unhashable cell value: nothing to remember
                    return clean_cell(column, value, ctx)
                if len(memo) < 10_000:
                    memo[value] = outcome
            if type(outcome) is _Failed:
                raise RowError(outcome.column, outcome.value, outcome.reason)
            return outcome

        return remembered
    if kind == "id_number":
        previous: list[Any] = [object(), None]

        def id_number(value: Any) -> Any:
            if value == previous[0] and type(value) is str:
                outcome = previous[1]
            else:
                try:
                    outcome = _clean_id(column, value)
                except RowError as exc:
                    outcome = _Failed(exc)
                previous[0], previous[1] = value, outcome
            if type(outcome) is _Failed:
                raise RowError(outcome.column, outcome.value, outcome.reason)
            return outcome

        return id_number
    clean = _CLEANERS[kind]
    return functools.partial(clean, column)


def clean_row(
    prepared: Prepared, cleaners: list[tuple[int, str, bool, Callable[[Any], Any]]], row: list
) -> tuple[dict, list[RowError]]:
    values: dict[str, Any] = dict.fromkeys(prepared.keys)
    errors: list[RowError] = []
    width = len(row)
    for index, key, required, clean in cleaners:
        try:
            value = clean(row[index] if index < width else None)
        except RowError as exc:
            errors.append(exc)
            continue
        if value is None and required:
            errors.append(RowError(key, "", _("This column is required.")))
        values[key] = value
    return values, errors
