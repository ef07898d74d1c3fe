"""Social assistance: programmes, standards, applications, cases, amounts and payments — one module per subject,
every model importable from `assistance.models` as before.

The cross-department check (app `checks`) and standard raises (app `raises`) are sub-apps with their own tables;
they reach these models only through `assistance.services`.
"""

from assistance.models.applications import *  # noqa: F403
from assistance.models.calendar import *  # noqa: F403
from assistance.models.cases import *  # noqa: F403
from assistance.models.notices import *  # noqa: F403
from assistance.models.payments import *  # noqa: F403
from assistance.models.programmes import *  # noqa: F403
