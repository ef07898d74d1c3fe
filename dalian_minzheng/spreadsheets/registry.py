"""The import-kind registry: one engine, many kinds of spreadsheet.

How to register a kind (e.g. the casework app's "existing cases"): create `<your app>/spreadsheet_kinds.py`
(autodiscovered when the spreadsheets app is ready) with a subclass of `ImportKind`:

    from dalian_minzheng.spreadsheets.registry import Column, ImportKind, RowError, register

    @register
    class ExistingCases(ImportKind):
        key = "assistance.cases"                 # stable; stored on ImportJob.kind
        label = _("Existing cases")              # shown in the kind drop-down
        lock_key = "people"                      # commits sharing a lock key never run at the same time
        columns = [
            Column("id_number", _("ID number"), aliases=("身份证号", "公民身份号码"), required=True, kind="id_number"),
            Column("programme", _("Programme"), aliases=("救助类别",), required=True,
                   choices={"城市低保": "urban_dibao", "农村低保": "rural_dibao"}),
            Column("start", _("Start date"), aliases=("开始日期",), kind="date"),
        ]
        # Columns of the staging temp table, in the order `validate_row` returns values.
        staging = [("row_number", "integer"), ("id_number", "text"), ("programme", "text"), ("start", "date")]

        def validate_row(self, row, ctx):            # row: {column key: cleaned value}, errors already collected
            ...                                      # raise RowError(column_key, value, reason) for a bad row
            return (ctx.row_number, row["id_number"], row["programme"], row["start"])

        def reject_sql(self, ctx):                   # optional: cross-row and database checks, set-based
            return [("programme", "row_number IN (SELECT ... FROM stage ...)", _("reason in Chinese"))]

        def classify_sql(self, ctx) -> str:          # SELECT new, updated, unchanged FROM stage ...
            ...

        def upsert(self, cursor, ctx) -> None:       # one or a few set-based statements reading `stage`
            ...

`Column.kind` picks the cleaning applied before `validate_row`: "text" (spaces and full-width characters
normalised), "id_number" (a number-typed cell is rejected, never converted), "date" (1990-01-01, 1990/1/1,
1990年1月1日, 19900101 or an Excel serial / date cell), "choice" (implied by `choices`; Chinese or English values,
the English value being the stored one), "phone", "division" (a code inside the importer's division). Headers are
matched after the same normalisation, against the label, the aliases and the key itself (the English header).
The engine (`engine.py`) does everything else: file reading, header detection, progress, errors, COPY into the
job's stage table (read and written by the kinds' SQL as `stage`), the advisory lock, the atomic commit and the
report. Audit events need no code in the kind: the tables it writes have triggers (statement-level on the people
tables, see `audit/tracking.py`).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from django.utils.translation import gettext as _

_REGISTRY: dict[str, ImportKind] = {}
_CHOICE_MAPS: dict[int, tuple[Column, dict[str, str]]] = {}


class RowError(Exception):
    def __init__(self, column: str, value: Any, reason: str):
        super().__init__(reason)
        self.column = column
        self.value = value
        self.reason = reason


@dataclass(frozen=True)
class Column:
    key: str
    label: Any  # lazy gettext; its Chinese translation is the template header
    aliases: tuple[str, ...] = ()
    required: bool = False
    kind: str = "text"
    choices: dict[str, str] | None = None  # Chinese value → stored value (the drop-down of the template)
    extra_choices: dict[str, str] | None = None  # other spellings accepted on import (妻 → spouse)
    width: int = 14
    help_text: Any = ""

    def headers(self) -> set[str]:
        from django.utils import translation

        names = {self.key, *self.aliases, str(self.label)}
        with translation.override("zh-hans"):
            names.add(str(self.label))
        with translation.override("en"):
            names.add(str(self.label))
        return {header_key(n) for n in names}

    def choice_map(self) -> dict[str, str]:
        """Normalised spelling → stored value (built once per column; the engine calls this per cell)."""
        cached = _CHOICE_MAPS.get(id(self))
        if cached is not None and cached[0] is self:
            return cached[1]
        mapping: dict[str, str] = {}
        for shown, stored in {**(self.extra_choices or {}), **(self.choices or {})}.items():
            mapping[header_key(shown)] = stored
            mapping[header_key(stored)] = stored
            mapping[shown] = stored
            mapping[stored] = stored
        _CHOICE_MAPS[id(self)] = (self, mapping)
        return mapping


class Rejection(NamedTuple):
    """One set-based check of `ImportKind.reject_sql` (a plain 4-tuple works too)."""

    column: str  # the column key named in the error
    value_sql: str  # the value shown, an expression over the stage row `s`
    rows_sql: str  # SELECT row_number FROM stage ... : the rows this check rejects
    reason: Any
    # Decided by the file alone (e.g. duplicates): the commit, which only ever removes rows from the checked stage,
    # need not run it again. Checks that read the database (or other rows that a later check may remove) say False.
    file_only: bool = False


@dataclass
class Context:
    """What a row validator may consult: the importer's division prefix, known divisions, today's date."""

    job_id: int | None
    user_id: int | None
    scope_prefix: str  # '' = whole city
    division_codes: frozenset[str]
    today: dt.date
    row_number: int = 0
    extra: dict = field(default_factory=dict)


class ImportKind:
    key: str = ""
    label: Any = ""
    description: Any = ""
    lock_key: str = "default"
    columns: list[Column] = []
    staging: list[tuple[str, str]] = []
    # The tables the commit inserts into ("app_label.Model"): re-analysed when an import grew them by a good part.
    writes: tuple[str, ...] = ()

    def validate_row(self, row: dict[str, Any], ctx: Context) -> tuple:
        raise NotImplementedError

    def reject_sql(self, ctx: Context) -> list[Rejection | tuple[str, str, str, Any]]:
        """Set-based checks (see `Rejection`), applied in order, at the check and again at the commit."""
        return []

    def classify_sql(self, ctx: Context) -> str:
        """A query over `stage` returning one row (new, updated, unchanged)."""
        raise NotImplementedError

    def upsert(self, cursor, ctx: Context) -> None:
        raise NotImplementedError

    def column(self, key: str) -> Column:
        return next(c for c in self.columns if c.key == key)

    def __str__(self) -> str:
        return str(self.label)


def register(cls: type[ImportKind]) -> type[ImportKind]:
    if not cls.key:
        raise ValueError("an import kind needs a key")
    _REGISTRY[cls.key] = cls()
    return cls


def get_kind(key: str) -> ImportKind:
    return _REGISTRY[key]


def all_kinds() -> list[ImportKind]:
    return sorted(_REGISTRY.values(), key=lambda k: k.key)


# ---------------------------------------------------------------- cleaning cells

_CJK_SPACE = re.compile(r"(?<=[\u3400-\u9fff])\s+(?=[\u3400-\u9fff])")
_SPACES = re.compile(r"\s+")


def header_key(value: Any) -> str:
    """Headers compare after NFKC, without spaces, case-insensitively; '*' marks of required columns are dropped."""
    text = unicodedata.normalize("NFKC", "" if value is None else str(value))
    return re.sub(r"[\s*＊:：_\-()（）]", "", text).lower()


def clean_text(value: Any) -> str:
    """Full-width letters, digits and spaces become half-width (NFKC); runs of spaces collapse, spaces between
    Chinese characters go ('张 三' → '张三')."""
    if type(value) is str:
        text = value
    elif value is None:
        return ""
    else:
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        text = str(value)
    if not text.isascii():  # ASCII is already NFKC and has no zero-width characters
        if not unicodedata.is_normalized("NFKC", text):
            text = unicodedata.normalize("NFKC", text)
        if "\u200b" in text or "\ufeff" in text:
            text = text.replace("\u200b", "").replace("\ufeff", "")
    parts = text.split()
    if len(parts) == 1:
        return parts[0]
    if not parts:
        return ""
    return _CJK_SPACE.sub("", " ".join(parts))


_DATE_PATTERNS = [
    re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
]
EXCEL_EPOCH = dt.date(1899, 12, 30)


def parse_date(value: Any) -> dt.date | None:
    """None for an empty cell; ValueError (with a Chinese message) for something that is not a date."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        # An Excel serial day number (a date cell whose format was lost, or a csv from a program that wrote it).
        if 1 <= value < 2958466:
            return EXCEL_EPOCH + dt.timedelta(days=int(value))
        raise ValueError(_("Not a date."))
    text = clean_text(value)
    for pattern in _DATE_PATTERNS:
        m = pattern.match(text) or pattern.match(text.replace(" ", ""))
        if m:
            try:
                return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            except ValueError:
                raise ValueError(_("This date does not exist.")) from None
    if re.fullmatch(r"\d{5}(\.0+)?", text):
        return EXCEL_EPOCH + dt.timedelta(days=int(float(text)))
    raise ValueError(_("Not a date; write it as 1990-01-01, 1990/1/1 or 1990年1月1日."))
