from social_orgs.credit_code import credit_code_errors, make_code

VALID = make_code("1", "210202", "MJ123456")


def test_valid_codes_of_each_type():
    for digit, kind in (("1", "社会团体"), ("2", "社会服务机构"), ("3", "基金会")):
        code = make_code(digit, "210211", "MJ0000A1")
        assert credit_code_errors(code, org_type=kind) == []


def test_wrong_18th():
    bad = VALID[:17] + ("0" if VALID[17] != "0" else "1")
    assert any("第18位校验码应为" in e for e in credit_code_errors(bad))


def test_wrong_17th():
    bad = VALID[:16] + ("0" if VALID[16] != "0" else "1") + VALID[17]
    assert any("第17位组织机构代码校验码" in e for e in credit_code_errors(bad))


def test_forbidden_letters_lower_fullwidth_length():
    for letter in "IOSVZ":
        assert "不是允许的字符" in credit_code_errors(VALID[:10] + letter + VALID[11:])[0]
    assert "小写字母" in credit_code_errors(VALID.lower())[0]
    assert "全角字符" in credit_code_errors("５" + VALID[1:])[0]
    assert "18位" in credit_code_errors(VALID[:17])[0]


def test_wrong_type_digit_and_area():
    assert any("第2位" in e for e in credit_code_errors(make_code("4", "210202", "MJ123456")))
    assert any("与类型基金会不符" in e for e in credit_code_errors(VALID, org_type="基金会"))
    assert any("不是大连市" in e for e in credit_code_errors(make_code("1", "110101", "MJ123456")))


def test_published_example_check_characters():
    # GB 32100-2015's own example code 91350100M000100Y43
    from social_orgs.credit_code import check_char, org_check_char

    assert org_check_char("M000100Y") == "4"
    assert check_char("91350100M000100Y4") == "3"
