"""Unified social credit code (GB 32100-2015) for civil-affairs registrations, with Chinese reasons."""

CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # 31 characters: no I, O, S, V, Z
_WEIGHTS_18 = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
_WEIGHTS_ORG = [3, 7, 9, 10, 5, 8, 4, 2]  # GB 11714 over positions 9-16
DALIAN_AREAS = {
    "210200",
    "210202",
    "210203",
    "210204",
    "210211",
    "210212",
    "210213",
    "210214",
    "210224",
    "210281",
    "210283",
}
TYPE_DIGITS = {"1": "社会团体", "2": "社会服务机构", "3": "基金会"}


def org_check_char(body8):
    # GB 11714 values letters A-Z as 10-35 (not their index in the 31-character set)
    total = sum(int(c, 36) * w for c, w in zip(body8, _WEIGHTS_ORG, strict=True))
    value = 11 - total % 11
    return {10: "X", 11: "0"}.get(value, str(value))


def check_char(body17):
    total = sum(CHARSET.index(c) * w for c, w in zip(body17, _WEIGHTS_18, strict=True))
    return CHARSET[(31 - total % 31) % 31]


def credit_code_errors(code, *, org_type=None):
    """Return a list of Chinese reasons (empty when the code is valid)."""
    if len(code) != 18:
        return [f"统一社会信用代码应为18位，实际为{len(code)}位"]
    for i, c in enumerate(code, 1):
        if "\uff01" <= c <= "\uff5e":
            return [f"第{i}位“{c}”是全角字符，请使用半角字符"]
        if c.islower():
            return [f"第{i}位“{c}”是小写字母，请使用大写字母"]
        if c not in CHARSET:
            return [f"第{i}位“{c}”不是允许的字符（不使用I、O、S、V、Z）"]
    errors = []
    if code[0] != "5":
        errors.append(f"第1位登记管理部门代码应为5（民政），实际为{code[0]}")
    if code[1] not in TYPE_DIGITS:
        errors.append(f"第2位机构类别代码应为1、2或3，实际为{code[1]}")
    elif org_type is not None and TYPE_DIGITS[code[1]] != org_type:
        errors.append(f"第2位机构类别代码{code[1]}表示{TYPE_DIGITS[code[1]]}，与类型{org_type}不符")
    if code[2:8] not in DALIAN_AREAS:
        errors.append(f"第3-8位行政区划码{code[2:8]}不是大连市的区划")
    expected_org = org_check_char(code[8:16])
    if code[16] != expected_org:
        errors.append(f"第17位组织机构代码校验码应为{expected_org}，实际为{code[16]}")
    expected = check_char(code[:17])
    if code[17] != expected:
        errors.append(f"第18位校验码应为{expected}，实际为{code[17]}")
    return errors


def make_code(type_digit, area, body8):
    """Build a valid code (tests and demo data)."""
    head = "5" + type_digit + area + body8 + org_check_char(body8)
    return head + check_char(head)
