"""Limits an xlsx must meet before any spreadsheet library sees it.

An xlsx is a zip of XML parts. Two cheap attacks take a reader down: a zip bomb (a 1.25 MB file unpacking to
322 MB), and a sheet whose dimension or one cell sits at XFD1048576, for which calamine allocates the whole
16,384 × 1,048,576 range (549 GB). Both are found here without parsing: the zip directory gives the declared sizes
(checked first, no decompression), then every member is inflated in bounded chunks, counting the bytes actually
produced (a member may lie about its size) and scanning the worksheets for `<dimension ref>`, `<row r>` and cell
references. Everything over a limit raises `LimitExceeded` with a Chinese message for the user.

The limits come from settings (environment variables, see README.md). The ratio default follows Apache POI's
ZipSecureFile (minimum inflate ratio 0.01, i.e. 100×) for members large enough to matter.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from django.conf import settings
from django.utils.translation import gettext as _

CHUNK = 1 << 20
RATIO_FLOOR_BYTES = 1 << 20  # members unpacking to less than this may be as repetitive as they like
EXCEL_MAX_ROWS = 1_048_576
EXCEL_MAX_COLUMNS = 16_384

_DIMENSION = re.compile(rb'<dimension\b[^>]*?\bref="([A-Z]{1,3})?([0-9]{1,9})?(?::([A-Z]{1,3})?([0-9]{1,9})?)?"')
_ROW_REF = re.compile(rb'<row\b[^>]*?\br="([0-9]{1,12})"')
_CELL_REF = re.compile(rb'\br="([A-Z]{1,9})([0-9]{1,12})"')
OVERLAP = 512  # bytes kept between chunks so a tag cut in two is still seen whole


class LimitExceeded(Exception):
    """Raised with the message for the user; `reading` turns it into a SpreadsheetError."""


@dataclass(frozen=True)
class Limits:
    max_unpacked_bytes: int
    max_member_bytes: int
    max_ratio: int
    max_members: int
    max_rows: int
    max_columns: int
    max_cells: int

    @classmethod
    def from_settings(cls) -> Limits:
        return cls(
            max_unpacked_bytes=settings.SPREADSHEET_MAX_UNPACKED_BYTES,
            max_member_bytes=settings.SPREADSHEET_MAX_MEMBER_BYTES,
            max_ratio=settings.SPREADSHEET_MAX_COMPRESSION_RATIO,
            max_members=settings.SPREADSHEET_MAX_ZIP_MEMBERS,
            max_rows=settings.SPREADSHEET_MAX_ROWS,
            max_columns=settings.SPREADSHEET_MAX_COLUMNS,
            max_cells=settings.SPREADSHEET_MAX_CELLS,
        )


def column_number(letters: bytes | str) -> int:
    if isinstance(letters, bytes):
        letters = letters.decode("ascii")
    number = 0
    for ch in letters:
        number = number * 26 + (ord(ch) - 64)
    return number


def _mb(n: int) -> str:
    return f"{n / 1024 / 1024:.0f}"


def _too_large(limits: Limits) -> LimitExceeded:
    return LimitExceeded(
        _(
            "The file unpacks to more than %(limit)s MB of data (an xlsx file is compressed). "
            "It cannot be read safely; split it into smaller files."
        )
        % {"limit": _mb(limits.max_unpacked_bytes)}
    )


def _check_extent(rows: int, columns: int, limits: Limits) -> None:
    if rows > limits.max_rows or columns > limits.max_columns or rows * columns > limits.max_cells:
        raise LimitExceeded(
            _(
                "A worksheet reaches row %(rows)s and column %(columns)s; the largest accepted is %(max_rows)s rows, "
                "%(max_columns)s columns and %(max_cells)s cells. Delete the empty rows and columns far below or "
                "to the right of the data (or cells formatted there), save and upload again."
            )
            % {
                "rows": rows,
                "columns": columns,
                "max_rows": limits.max_rows,
                "max_columns": limits.max_columns,
                "max_cells": limits.max_cells,
            }
        )


def _check_directory(infos: list[zipfile.ZipInfo], limits: Limits) -> None:
    """What the zip directory declares: no decompression yet."""
    if len(infos) > limits.max_members:
        raise LimitExceeded(
            _("The file holds %(n)s parts; an Excel workbook has far fewer. It cannot be read safely.")
            % {"n": len(infos)}
        )
    total = 0
    for info in infos:
        if info.file_size > limits.max_member_bytes:
            raise _too_large(limits)
        total += info.file_size
        if total > limits.max_unpacked_bytes:
            raise _too_large(limits)
        _check_ratio(info.file_size, info.compress_size, limits)


def _check_ratio(unpacked: int, packed: int, limits: Limits) -> None:
    if unpacked > RATIO_FLOOR_BYTES and unpacked > limits.max_ratio * max(packed, 1):
        raise LimitExceeded(
            _(
                "The file is compressed %(ratio)s times (at most %(limit)s is accepted): it looks like a "
                "“zip bomb” and is not read. Save it again in Excel and upload."
            )
            % {"ratio": unpacked // max(packed, 1), "limit": limits.max_ratio}
        )


def _is_worksheet(name: str) -> bool:
    return name.startswith(("xl/worksheets/", "xl/chartsheets/", "xl/dialogsheets/")) and name.endswith(".xml")


class _Extent:
    """The largest row and column a worksheet's XML mentions (dimension, rows, cells)."""

    def __init__(self, limits: Limits):
        self.limits = limits
        self.rows = 0
        self.columns = 0

    def feed(self, buf: bytes, dimension_seen: bool) -> bool:
        if not dimension_seen:
            hit = _DIMENSION.search(buf)
            if hit:
                for letters, digits in ((hit.group(1), hit.group(2)), (hit.group(3), hit.group(4))):
                    if letters:
                        self.columns = max(self.columns, column_number(letters))
                    if digits:
                        self.rows = max(self.rows, int(digits))
                dimension_seen = True
        row_refs = _ROW_REF.findall(buf)
        if row_refs:
            self.rows = max(self.rows, max(map(int, row_refs)))
        cell_refs = _CELL_REF.findall(buf)
        if cell_refs:
            letters = {m for m, _d in cell_refs}
            longest = max(len(m) for m in letters)
            if longest > 3:
                self.columns = EXCEL_MAX_COLUMNS + 1
            else:
                widest = max(m for m in letters if len(m) == longest)
                self.columns = max(self.columns, column_number(widest))
            self.rows = max(self.rows, max(int(d) for d in {d for _m, d in cell_refs}))
        _check_extent(self.rows, self.columns, self.limits)
        return dimension_seen


def check_upload(upload) -> None:
    """check_xlsx for an uploaded file (Django's UploadedFile) that is a zip; left at its start afterwards."""
    upload.seek(0)
    head = upload.read(4)
    upload.seek(0)
    if head != b"PK\x03\x04":
        return
    try:
        check_xlsx(upload)
    finally:
        upload.seek(0)


def check_xlsx(path: Path | IO[bytes], limits: Limits | None = None) -> None:
    """Raise LimitExceeded when the xlsx at `path` (or a seekable file) is over a limit; return None when it may be
    parsed. A file that is not a valid zip is left to the reader (which reports it as damaged)."""
    limits = limits or Limits.from_settings()
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError):
        return
    with zf:
        infos = zf.infolist()
        _check_directory(infos, limits)
        total = 0
        for info in infos:
            if info.is_dir():
                continue
            produced = 0
            sheet = _is_worksheet(info.filename)
            extent = _Extent(limits) if sheet else None
            dimension_seen = False
            tail = b""
            try:
                with zf.open(info) as member:
                    # Python's zipfile stops at the declared size and then fails the CRC check, so a member that
                    # lies about its size ends as BadZipFile below; the count guards the rest.
                    while chunk := member.read(CHUNK):
                        produced += len(chunk)
                        total += len(chunk)
                        if produced > limits.max_member_bytes or total > limits.max_unpacked_bytes:
                            raise _too_large(limits)
                        _check_ratio(produced, info.compress_size, limits)
                        if extent is not None:
                            buf = tail + chunk
                            dimension_seen = extent.feed(buf, dimension_seen)
                            tail = buf[-OVERLAP:]
            except (zipfile.BadZipFile, EOFError, NotImplementedError, RuntimeError, ValueError, OSError):
                raise LimitExceeded(
                    _("The file is damaged or is not a real Excel file. Open it in Excel, save it again and upload.")
                ) from None
            if produced != info.file_size:
                raise LimitExceeded(
                    _("The file is damaged or is not a real Excel file. Open it in Excel, save it again and upload.")
                )
