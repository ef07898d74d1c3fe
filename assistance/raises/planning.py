"""Which standards a raise changes, and to what: the plan shown in the preview and frozen at approval.

Rules:
- City-wide raise: the city-wide standard of each programme and component, and every district's own standard
  (a district's own row would otherwise shadow the raised city-wide one).
- District raise: one new row per listed district, computed from the standard in force there (its own or the
  city-wide one).
- Linked standards (`Standard.base_programme` + `multiplier`, e.g. special hardship basic = 1.3 × allowance) are
  not raised directly; when their base programme's basic standard is raised, a new linked row follows in the same
  areas: amount = base after the raise × multiplier, with the raise's rounding rule.
- A raise may not go back before a standard already in the table for the same programme, area and care level
  (no retroactive insertion before a later row): the effective date must be later than every row it supersedes.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

from assistance.amounts import band_scale, standard_for
from assistance.models import CalculationMethod, Programme, Standard, StandardBand
from assistance.raises.models import Component, Raise, RaiseMethod, round_amount


@dataclass
class PlannedStandard:
    programme: Programme
    division_id: str | None
    care_level: str
    old_amount: Decimal | None
    new_amount: Decimal
    base_programme_id: int | None = None
    multiplier: Decimal | None = None
    linked: bool = False
    income_below: Decimal | None = None  # set for a band of a banded programme (StandardBand)

    @property
    def key(self) -> tuple:
        return (self.programme.pk, self.division_id, self.care_level, self.income_below)


@dataclass
class Plan:
    standards: list[PlannedStandard]
    problems: list[str]

    @property
    def programme_ids(self) -> list[int]:
        return sorted({p.programme.pk for p in self.standards})


def _exact(programme_id: int, division_id: str | None, care_level: str, on) -> Standard | None:
    qs = Standard.objects.filter(programme_id=programme_id, care_level=care_level, effective_from__lte=on)
    qs = qs.filter(division__isnull=True) if division_id is None else qs.filter(division_id=division_id)
    return qs.order_by("-effective_from").first()


def _current(programme_id: int, target: str | None, care_level: str, on) -> Standard | None:
    """The standard in force for a target (a district, or None: city-wide), by the one rule in amounts."""
    return standard_for(programme=programme_id, district_code=target, on=on, care_level=care_level)


def _own_districts(programme_id: int, care_level: str, on) -> list[str]:
    return sorted(
        set(
            Standard.objects.filter(
                programme_id=programme_id, care_level=care_level, division__isnull=False, effective_from__lte=on
            ).values_list("division_id", flat=True)
        )
    )


def _plan_bands(raise_record: Raise, programme: Programme, targets: list[str | None], on, problems: list[str]):
    if raise_record.method == RaiseMethod.NEW_AMOUNT:
        problems.append(
            _("%(programme)s pays banded amounts: raise it by an amount or a percentage.") % {"programme": programme}
        )
        return []
    planned = []
    for target in targets:
        scale = band_scale(programme=programme.pk, district_code=target, on=on)
        if not scale:
            if target is None:
                problems.append(_("%(programme)s has no bands in force to raise.") % {"programme": programme})
            continue
        for band in scale:
            planned.append(
                PlannedStandard(
                    programme, target, "", band.amount, new_amount(raise_record, band.amount),
                    income_below=band.income_below,
                )
            )  # fmt: skip
    return planned


def new_amount(raise_record: Raise, old: Decimal | None) -> Decimal:
    value = Decimal(raise_record.value)
    if raise_record.method == RaiseMethod.NEW_AMOUNT:
        return round_amount(value, raise_record.rounding)
    if raise_record.method == RaiseMethod.INCREASE_AMOUNT:
        return round_amount(Decimal(old) + value, raise_record.rounding)
    return round_amount(Decimal(old) * (Decimal(100) + value) / Decimal(100), raise_record.rounding)


def plan(raise_record: Raise) -> Plan:
    on = raise_record.effective_from
    programmes = list(raise_record.programmes.all())
    districts = sorted(raise_record.districts.values_list("code", flat=True))
    city_wide = not districts
    planned: dict[tuple, PlannedStandard] = {}
    problems: list[str] = []
    if on.day != 1:
        problems.append(_("A standard takes effect on the first day of a month."))
    if not programmes:
        problems.append(_("Choose at least one programme."))
    if not raise_record.components:
        problems.append(_("Choose at least one standard to raise."))

    for programme in programmes:
        if programme.calculation == CalculationMethod.BANDED:
            own = sorted(
                set(
                    StandardBand.objects.filter(
                        programme=programme, division__isnull=False, effective_from__lte=on
                    ).values_list("division_id", flat=True)
                )
            )
            for item in _plan_bands(raise_record, programme, [None, *own] if city_wide else districts, on, problems):
                planned[item.key] = item
            continue
        for component in raise_record.components:
            care = Component.care_level(component)
            targets: list[str | None] = [None, *_own_districts(programme.pk, care, on)] if city_wide else districts
            for target in targets:
                current = _current(programme.pk, target, care, on)
                if current is None and raise_record.method != RaiseMethod.NEW_AMOUNT:
                    if target is None:
                        problems.append(
                            _("%(programme)s has no %(component)s in force on %(date)s to raise.")
                            % {"programme": programme, "component": Component(component).label, "date": on}
                        )
                    continue
                if current is not None and current.base_programme_id:
                    problems.append(
                        _("%(programme)s follows a linked standard; raise its base programme instead.")
                        % {"programme": programme}
                    )
                    continue
                old = current.amount if current is not None else None
                item = PlannedStandard(programme, target, care, old, new_amount(raise_record, old))
                planned[item.key] = item

    # Linked standards follow their base programme's basic standard.
    raised_bases = {p.programme.pk for p in planned.values() if p.care_level == ""}
    links = (
        Standard.objects.filter(base_programme_id__in=raised_bases, care_level="", effective_from__lte=on)
        .values_list("programme_id", "base_programme_id")
        .distinct()
    )
    linked_programmes = {pk: Programme.objects.get(pk=pk) for pk, _base in links}

    def base_after(base_id: int, target: str | None) -> Decimal | None:
        if (base_id, target, "", None) in planned:
            return planned[(base_id, target, "", None)].new_amount
        if target is not None and _exact(base_id, target, "", on) is not None:
            return _exact(base_id, target, "", on).amount
        if (base_id, None, "", None) in planned:
            return planned[(base_id, None, "", None)].new_amount
        current = _exact(base_id, None, "", on)
        return current.amount if current else None

    for linked_id, base_id in sorted(set(links)):
        targets = [None, *_own_districts(linked_id, "", on)] if city_wide else districts
        for target in targets:
            current = _current(linked_id, target, "", on)
            if current is None or current.base_programme_id != base_id or current.multiplier is None:
                continue
            base = base_after(base_id, target)
            if base is None:
                continue
            amount = round_amount(base * current.multiplier, raise_record.rounding)
            item = PlannedStandard(
                linked_programmes[linked_id],
                target,
                "",
                current.amount,
                amount,
                base_programme_id=base_id,
                multiplier=current.multiplier,
                linked=True,
            )
            planned.setdefault(item.key, item)

    for item in planned.values():
        if item.income_below is not None:
            later = StandardBand.objects.filter(programme_id=item.programme.pk, effective_from__gte=on)
        else:
            later = Standard.objects.filter(
                programme_id=item.programme.pk, care_level=item.care_level, effective_from__gte=on
            )
        later = (
            later.filter(division__isnull=True)
            if item.division_id is None
            else later.filter(division_id=item.division_id)
        )
        if later.exists():
            problems.append(
                _("A standard for %(programme)s already takes effect on or after %(date)s.")
                % {"programme": item.programme, "date": on}
            )
        if item.old_amount is not None and item.new_amount <= item.old_amount:
            problems.append(
                _("The new standard for %(programme)s (%(new)s) is not higher than the current one (%(old)s).")
                % {"programme": item.programme, "new": item.new_amount, "old": item.old_amount}
            )
    standards = sorted(
        planned.values(), key=lambda p: (p.programme.pk, p.division_id or "", p.care_level, p.income_below or 0)
    )
    return Plan(standards=standards, problems=list(dict.fromkeys(problems)))
