"""The eldercare register (养老服务), one module per subject: facilities and filing, rule tables, star ratings, safety,
residents and their assessments, services and subsidies. Every model is importable from `eldercare.models`."""

from eldercare.models.facilities import *  # noqa: F403
from eldercare.models.rating import *  # noqa: F403
from eldercare.models.residents import *  # noqa: F403
from eldercare.models.rules import *  # noqa: F403
from eldercare.models.safety import *  # noqa: F403
from eldercare.models.services import *  # noqa: F403
