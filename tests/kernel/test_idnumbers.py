import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from dalian_minzheng.people import idnumbers

VALID = "11010519491231002X"  # the GB 11643 textbook example


def test_valid_number_derives_birth_date_and_sex():
    parsed = idnumbers.parse(VALID)
    assert parsed.number == VALID
    assert parsed.birth_date == dt.date(1949, 12, 31)
    assert parsed.sex == "F"  # sequence 002 is even
    male = idnumbers.make("210202", dt.date(1980, 2, 29), 123)
    assert idnumbers.parse(male).sex == "M"


def test_lower_case_x_is_accepted_and_normalised():
    assert idnumbers.parse(VALID.lower()).number == VALID
    assert idnumbers.parse(" 110105 19491231 002x ").number == VALID


@pytest.mark.parametrize(
    "raw, code",
    [
        ("110105194912310021", "checksum"),
        ("110105491231002", "legacy"),
        ("210202198002300014", "birth_date"),  # 30 February
        ("1.10105E+17", "scientific"),  # Excel turned the column into a number
        ("11010519491231002", "format"),
        ("991105194912310020", "address"),
    ],
)
def test_invalid_numbers_raise_with_their_reason(raw, code):
    with pytest.raises(ValidationError) as info:
        idnumbers.parse(raw)
    assert info.value.code == code


def test_fifteen_digit_message_names_the_legacy_format():
    with pytest.raises(ValidationError) as info:
        idnumbers.parse("110105491231002")
    assert "15" in info.value.messages[0]


def test_mask_shows_first_and_last_four_only():
    assert idnumbers.mask("21020219800101123X") == "2102**********123X"
    assert idnumbers.mask_name("张小华") == "张*华"
