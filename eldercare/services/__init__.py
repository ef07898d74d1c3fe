"""Writes of the eldercare register, one module per subject; every public name is importable from here."""

from eldercare.services.facilities import facility_file, facility_register, facility_update, filing_due
from eldercare.services.rating import (
    GRADE_NAMES,
    eligibility_problems,
    grade_for,
    rating_apply,
    rating_bars,
    rating_committee_decide,
    rating_finalize,
    rating_record_objection,
    rating_record_scores,
    ratings_expire,
)
from eldercare.services.residents import (
    ability_assess,
    ability_level,
    resident_admit,
    resident_leave,
    residents_end_for_deaths,
    service_record,
    services_after_death,
)
from eldercare.services.safety import (
    hazard_rectify,
    hazard_reinspect,
    inspection_record,
    renovation_advance,
    renovation_record,
)
from eldercare.services.subsidies import construction_subsidy_grant, subsidy_list_approve, subsidy_list_compute

__all__ = [
    "GRADE_NAMES",
    "ability_assess",
    "ability_level",
    "construction_subsidy_grant",
    "eligibility_problems",
    "facility_file",
    "facility_register",
    "facility_update",
    "filing_due",
    "grade_for",
    "hazard_reinspect",
    "hazard_rectify",
    "inspection_record",
    "rating_apply",
    "rating_bars",
    "rating_committee_decide",
    "rating_finalize",
    "rating_record_objection",
    "rating_record_scores",
    "ratings_expire",
    "renovation_advance",
    "renovation_record",
    "resident_admit",
    "resident_leave",
    "residents_end_for_deaths",
    "service_record",
    "services_after_death",
    "subsidy_list_approve",
    "subsidy_list_compute",
]
