"""Reading spreadsheets as they really arrive: xlsx/xls through python-calamine, csv in UTF-8, UTF-8 with BOM, GBK or
GB18030; title rows above the header, hidden and blank rows, several sheets, and files that cannot be read at all.

Everything that is wrong with the file as a whole raises `SpreadsheetError` with a Chinese message for the user.
Row numbers are the ones Excel shows (1-based, counting the title rows).

python-calamine was measured against openpyxl read_only on the 100,000-row benchmark file (see BENCHMARKS.md) and
is several times faster; openpyxl is not used for reading.
"""

from __future__ import annotations

import csv
import io
import re
import threading
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from html import unescape
from pathlib import Path

import python_calamine
from charset_normalizer import from_bytes
from django.conf import settings
from django.utils.translation import gettext as _

from dalian_minzheng.spreadsheets import limits

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
HEADER_SEARCH_ROWS = 20  # a header further down than this is not a header


class SpreadsheetError(Exception):
    """The file as a whole cannot be used; the message is for the user."""


class UnreadableFile(SpreadsheetError):
    """The file itself cannot be read (damaged, protected, over a limit of limits.py): it is not kept."""


@dataclass
class Sheet:
    name: str
    rows: Iterator[tuple[int, list]]  # (Excel row number, cell values)
    hidden_rows: frozenset[int] = field(default_factory=frozenset)
    height: int = 0  # rows in the sheet (0 when unknown, e.g. csv), for the progress bar


def _file_bytes_head(path: Path, n: int = 8) -> bytes:
    with open(path, "rb") as fh:
        return fh.read(n)


def check_size(size: int) -> None:
    limit = settings.SPREADSHEET_MAX_UPLOAD_BYTES
    if size > limit:
        raise SpreadsheetError(
            _("The file is %(size).1f MB; the largest file accepted is %(limit)d MB. Split it into smaller files.")
            % {"size": size / 1024 / 1024, "limit": limit // 1024 // 1024}
        )
    if size == 0:
        raise SpreadsheetError(_("The file is empty."))


def detect_format(path: Path, original_name: str = "") -> str:
    """'xlsx', 'xls' or 'csv', from the content (the extension is only a hint)."""
    head = _file_bytes_head(path)
    if head.startswith(ZIP_MAGIC):
        return "xlsx"
    if head.startswith(OLE_MAGIC):
        # An encrypted xlsx is an OLE container holding "EncryptedPackage"; an old .xls is OLE too.
        with open(path, "rb") as fh:
            blob = fh.read(1024 * 1024)
        if "EncryptedPackage".encode("utf-16-le") in blob or b"EncryptedPackage" in blob:
            raise SpreadsheetError(
                _("The file is protected by a password. Remove the password in Excel and upload again.")
            )
        return "xls"
    suffix = Path(original_name or path.name).suffix.lower()
    if suffix in (".xlsx", ".xlsm", ".xls"):
        raise SpreadsheetError(
            _("The file is damaged or is not a real Excel file. Open it in Excel, save it again and upload.")
        )
    return "csv"


def decode_csv(raw: bytes) -> str:
    """UTF-8 (with or without BOM) first; otherwise charset-normalizer, preferring the Chinese encodings."""
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    match = from_bytes(raw[: 256 * 1024], cp_isolation=["gb18030", "gbk", "big5", "utf_16"]).best()
    encoding = match.encoding if match else "gb18030"
    # GB18030 is a superset of GBK and GB2312: decoding with it never loses a character the detector saw as GBK.
    if encoding in ("gbk", "gb2312"):
        encoding = "gb18030"
    try:
        return raw.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        raise SpreadsheetError(
            _("The text encoding of the CSV file could not be recognised. Save it as UTF-8 or GBK and upload again.")
        ) from None


def _csv_sheet(path: Path) -> list[Sheet]:
    text = decode_csv(path.read_bytes())
    height = text.count("\n")
    if "\x00" in text:
        raise SpreadsheetError(
            _("The file is damaged or is not a real Excel file. Open it in Excel, save it again and upload.")
        )
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",\t;")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    return [Sheet(name="CSV", rows=((i, row) for i, row in enumerate(reader, start=1)), height=height)]


_ROW_HIDDEN = re.compile(
    rb'<row\b[^>]*?\br="(\d+)"[^>]*?\bhidden="(?:1|true)"|<row\b[^>]*?\bhidden="(?:1|true)"[^>]*?\br="(\d+)"'
)


def _hidden_rows_by_sheet(path: Path) -> dict[str, frozenset[int]]:
    """calamine does not report hidden rows; read the `hidden` attribute of each <row> from the sheet XML."""
    result: dict[str, frozenset[int]] = {}
    try:
        with zipfile.ZipFile(path) as zf:
            workbook = zf.read("xl/workbook.xml").decode("utf-8", "replace")
            rels = zf.read("xl/_rels/workbook.xml.rels").decode("utf-8", "replace")
            targets = {
                m.group(1): m.group(2)
                for m in re.finditer(r'<Relationship\b[^>]*?Id="([^"]+)"[^>]*?Target="([^"]+)"', rels)
            }
            targets.update(
                {
                    m.group(2): m.group(1)
                    for m in re.finditer(r'<Relationship\b[^>]*?Target="([^"]+)"[^>]*?Id="([^"]+)"', rels)
                }
            )
            for m in re.finditer(r"<sheet\b([^>]*)/?>", workbook):
                attrs = m.group(1)
                name = re.search(r'name="([^"]*)"', attrs)
                rid = re.search(r'r:id="([^"]*)"', attrs)
                if not name or not rid or rid.group(1) not in targets:
                    continue
                target = targets[rid.group(1)].lstrip("/")
                member = target if target.startswith("xl/") else f"xl/{target}"
                hidden: set[int] = set()
                with zf.open(member) as fh:
                    tail = b""
                    while chunk := fh.read(1 << 20):
                        buf = tail + chunk
                        cut = buf.rfind(b"<row")
                        if cut <= 0:
                            cut = len(buf)
                        for hit in _ROW_HIDDEN.finditer(buf, 0, cut):
                            hidden.add(int(hit.group(1) or hit.group(3)))
                        tail = buf[cut:]
                    for hit in _ROW_HIDDEN.finditer(tail):
                        hidden.add(int(hit.group(1) or hit.group(3)))
                result[unescape(name.group(1))] = frozenset(hidden)
    except (KeyError, zipfile.BadZipFile, OSError):
        return {}
    return result


def _calamine_rows(sheet: python_calamine.CalamineSheet) -> Iterator[tuple[int, list]]:
    start = sheet.start or (0, 0)
    first_row, first_col = start
    pad = [""] * first_col
    if first_col:
        for offset, row in enumerate(sheet.iter_rows(), start=first_row + 1):
            yield offset, pad + list(row)
    else:
        yield from enumerate(sheet.iter_rows(), start=first_row + 1)  # rows come as fresh lists


def open_sheets(path: Path, original_name: str = "") -> list[Sheet]:
    """All visible sheets of the file, each with a lazy row iterator. An xlsx is checked against the limits of
    limits.py (zip bomb, sheet dimensions) before calamine sees it."""
    try:
        return _open_sheets(Path(path), original_name)
    except UnreadableFile:
        raise
    except SpreadsheetError as exc:
        raise UnreadableFile(str(exc)) from exc
    except limits.LimitExceeded as exc:
        raise UnreadableFile(str(exc)) from None


def _open_sheets(path: Path, original_name: str) -> list[Sheet]:
    check_size(path.stat().st_size)
    fmt = detect_format(path, original_name)
    if fmt == "csv":
        return _csv_sheet(path)
    if fmt == "xlsx":
        limits.check_xlsx(path)
    try:
        workbook = python_calamine.CalamineWorkbook.from_path(str(path))
    except python_calamine.PasswordError:
        raise SpreadsheetError(
            _("The file is protected by a password. Remove the password in Excel and upload again.")
        ) from None
    except Exception:  # calamine raises several error types for damaged files
        raise SpreadsheetError(
            _("The file is damaged or is not a real Excel file. Open it in Excel, save it again and upload.")
        ) from None
    hidden: dict[str, frozenset[int]] = {}
    scan = None
    if fmt == "xlsx":
        # calamine releases the GIL while it parses a sheet: the hidden-row scan (Python) runs meanwhile.
        scan = threading.Thread(target=lambda: hidden.update(_hidden_rows_by_sheet(path)), daemon=True)
        scan.start()
    loaded = []
    for meta in workbook.sheets_metadata:
        if meta.visible != python_calamine.SheetVisibleEnum.Visible:
            continue  # hidden and very hidden sheets hold lookup lists, not data
        if meta.typ != python_calamine.SheetTypeEnum.WorkSheet:
            continue
        try:
            loaded.append(workbook.get_sheet_by_name(meta.name))
        except Exception:  # a damaged sheet inside a readable zip
            raise SpreadsheetError(
                _("The file is damaged or is not a real Excel file. Open it in Excel, save it again and upload.")
            ) from None
    if scan is not None:
        scan.join()
    return [
        Sheet(
            name=cal_sheet.name,
            rows=_calamine_rows(cal_sheet),
            hidden_rows=hidden.get(cal_sheet.name, frozenset()),
            height=cal_sheet.height,
        )
        for cal_sheet in loaded
    ]


def is_blank(row: list) -> bool:
    first = row[0] if row else None
    if type(first) is str and first and not first.isspace():
        return False  # nearly every data row: decided by its first cell
    return all(cell is None or (isinstance(cell, str) and not cell.strip()) for cell in row)
