"""Written notices to households (review outcomes, refusals): texts the city admin edits (`NotificationText`),
filled in with the case's values.

Placeholders are `{name}`-style words from NOTIFICATION_PLACEHOLDERS and nothing else: a plain substitution, not
str.format, so an edited text can never reach attributes or indexes of the values. The notice is a Chinese document
whatever the UI language, hence the Chinese defaults.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from assistance.models import NOTIFICATION_PLACEHOLDERS, NotificationKind, NotificationText


def create_default_texts(apps, schema_editor):
    """Migration step: the default notice texts; from then on they are the city admin's to edit."""
    model = apps.get_model("assistance", "NotificationText")
    model.objects.bulk_create([model(kind=str(kind), text=text) for kind, text in DEFAULT_TEXTS.items()])


PLACEHOLDER = re.compile(r"\{(\w+)\}")

# The texts a new installation starts with (migration 0008 writes them; `reference.load` adds missing ones).
DEFAULT_TEXTS = {
    NotificationKind.REVIEW_CONTINUE: "经复核，您家庭（{name}）继续享受{programme}，月保障金额{old_amount}元不变。",
    NotificationKind.REVIEW_RAISE: (
        "经复核，您家庭（{name}）{programme}月保障金额自{month}起由{old_amount}元增发至{new_amount}元。理由：{reasons}"
    ),
    NotificationKind.REVIEW_REDUCE: (
        "经复核，您家庭（{name}）{programme}月保障金额自{month}起由{old_amount}元减发至{new_amount}元。理由：{reasons}"
    ),
    NotificationKind.REVIEW_STOP: (
        "经复核，您家庭（{name}）自{month}起停发{programme}。理由：{reasons}。"
        "如有异议，可自收到本通知之日起60日内申请行政复议。"
    ),
    NotificationKind.REVIEW_PHASE_OUT: (
        "经复核，您家庭（{name}）收入已超过保障标准，给予{months}个月渐退期，{until}后停发{programme}。理由：{reasons}"
    ),
    NotificationKind.REFUSAL: (
        "不予批准通知书\n{name}：\n您于{accepted_on}提出的{programme}申请，经审核确认，决定不予批准。\n理由：{reasons}\n"
        "如对本决定不服，可自收到本通知书之日起60日内依法申请行政复议，或者6个月内依法向人民法院提起行政诉讼。\n{date}"
    ),
}


def check_placeholders(text: str) -> None:
    """A ValidationError naming every placeholder the text uses that does not exist."""
    unknown = sorted({word for word in PLACEHOLDER.findall(text) if word not in NOTIFICATION_PLACEHOLDERS})
    if unknown:
        raise ValidationError(
            _("Unknown placeholders: %(unknown)s. Available: %(known)s")
            % {
                "unknown": "、".join(f"{{{w}}}" for w in unknown),
                "known": "、".join(f"{{{w}}}" for w in NOTIFICATION_PLACEHOLDERS),
            },
            code="placeholder",
        )


def placeholder_help() -> str:
    return "；".join(f"{{{word}}} {label}" for word, label in NOTIFICATION_PLACEHOLDERS.items())


def fill(text: str, values: dict) -> str:
    return PLACEHOLDER.sub(lambda m: str(values[m.group(1)]) if m.group(1) in values else m.group(0), text)


def render(kind: str, values: dict) -> str:
    """The notice of `kind` with `values` filled in: the admin's text, or the default when none was saved."""
    text = NotificationText.objects.filter(kind=kind).values_list("text", flat=True).first()
    return fill(text if text is not None else DEFAULT_TEXTS[kind], values)


def ensure_defaults() -> int:
    """Create the default text of every kind that has none (existing texts are the admin's and stay)."""
    existing = set(NotificationText.objects.values_list("kind", flat=True))
    missing = [NotificationText(kind=kind, text=text) for kind, text in DEFAULT_TEXTS.items() if kind not in existing]
    NotificationText.objects.bulk_create(missing)
    return len(missing)
