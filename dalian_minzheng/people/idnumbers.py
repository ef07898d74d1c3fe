"""Resident identity numbers (公民身份号码, GB 11643-1999) and their masking."""

from __future__ import annotations

import datetime as dt
import operator
import re
import time
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"
# Province-level codes of GB/T 2260; an address code must start with one of them.
PROVINCE_CODES = frozenset(
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 50 51 52 53 54 61 62 63 64 65 71 81 82".split()
)
_FULLWIDTH = str.maketrans("０１２３４５６７８９ＸｘＸ", "0123456789XXX")
_WELL_FORMED = re.compile(r"[0-9]{17}[0-9X]")  # ASCII digits only; a bare \d matches other scripts too


@dataclass(frozen=True)
class ResidentId:
    number: str
    birth_date: dt.date
    sex: str  # "M" or "F"


_ZERO_OFFSET = ord("0") * sum(WEIGHTS)


def check_character(first17: str) -> str:
    digits = first17.encode("ascii")  # bytes iterate as character codes: no int() per digit
    if len(digits) != len(WEIGHTS) or not digits.isdigit():
        raise ValueError("the check character is computed over 17 digits")
    return CHECK_CHARS[(sum(map(operator.mul, digits, WEIGHTS)) - _ZERO_OFFSET) % 11]


def normalize(raw: object) -> str:
    """Strip spaces, convert full-width digits, upper-case a trailing x."""
    text = "" if raw is None else str(raw)
    if text.isascii() and text.isalnum():  # the usual case: nothing to strip or convert
        return text.upper()
    return "".join(text.translate(_FULLWIDTH).split()).upper()


_today_cache: list = [None, 0.0]


def _today() -> dt.date:
    """dt.date.today(), looked up at most once a second (parse runs once per row of a 100,000-row import)."""
    now = time.monotonic()
    if now >= _today_cache[1]:
        _today_cache[0], _today_cache[1] = dt.date.today(), now + 1.0
    return _today_cache[0]


def parse(raw: object) -> ResidentId:
    """Validate a resident ID and derive birth date and sex; raise ValidationError with a Chinese message.
    (Called once per row by the spreadsheet import: the well-formed case is checked first.)"""
    number = normalize(raw)
    if not _WELL_FORMED.fullmatch(number):
        if re.fullmatch(r"\d(\.\d+)?E\+\d+", number):
            raise ValidationError(
                _("The ID number was stored by Excel as a number and has lost digits; format the column as text."),
                code="scientific",
            )
        if re.fullmatch(r"\d{15}", number):
            raise ValidationError(
                _("15-digit legacy ID numbers are not accepted; enter the 18-digit number."), code="legacy"
            )
        raise ValidationError(_("An ID number has 17 digits followed by a digit or X."), code="format")
    if number[:2] not in PROVINCE_CODES:
        raise ValidationError(_("The address code of the ID number is not a valid region."), code="address")
    try:
        birth = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise ValidationError(_("The birth date in the ID number does not exist."), code="birth_date") from None
    if birth.year < 1890 or birth > _today():
        raise ValidationError(_("The birth date in the ID number is out of range."), code="birth_date")
    if check_character(number[:17]) != number[17]:
        raise ValidationError(_("The check digit of the ID number is wrong; please check each digit."), code="checksum")
    return ResidentId(number=number, birth_date=birth, sex="M" if int(number[16]) % 2 else "F")


def is_valid(raw: object) -> bool:
    try:
        parse(raw)
    except ValidationError:
        return False
    return True


def mask(number: str | None) -> str:
    """2102**********123X: the first four and last four characters only."""
    if not number:
        return ""
    if len(number) <= 8:
        return "*" * len(number)
    return number[:4] + "*" * (len(number) - 8) + number[-4:]


def mask_name(name: str | None) -> str:
    """张*华 for public notices: keep the first and last character (张* for two-character names)."""
    if not name:
        return ""
    if len(name) == 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def make(address_code: str, birth: dt.date, sequence: int) -> str:
    """Build a valid number (for demo and scale data): sequence 0-999, odd for men."""
    first17 = f"{address_code}{birth:%Y%m%d}{sequence:03d}"
    return first17 + check_character(first17)
