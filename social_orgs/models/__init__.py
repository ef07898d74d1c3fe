"""The social-organisation register (社会组织), one module per subject: the registry, rule tables, annual
inspections, credit lists, evaluations, enforcement and purchased services. Every model is importable from
`social_orgs.models`."""

from social_orgs.models.credit import *  # noqa: F403
from social_orgs.models.enforcement import *  # noqa: F403
from social_orgs.models.evaluation import *  # noqa: F403
from social_orgs.models.inspections import *  # noqa: F403
from social_orgs.models.projects import *  # noqa: F403
from social_orgs.models.registry import *  # noqa: F403
from social_orgs.models.rules import *  # noqa: F403
