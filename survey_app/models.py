"""Every model, imported in one place so Alembic and the app see the whole schema."""

from survey_app.accounts.models import User  # noqa: F401
from survey_app.assessments.models import (  # noqa: F401
    Appraisal,
    BonusPenalty,
    Evidence,
    Explanation,
    SelfAssessment,
)
from survey_app.core.models import AuditEntry, Job  # noqa: F401
from survey_app.criteria.models import (  # noqa: F401
    Area,
    CriteriaSet,
    Criterion,
    GroupWeight,
    SubCriterion,
    SubCriterionItem,
)
from survey_app.invitations.models import Invitation, ResponseDraft  # noqa: F401
from survey_app.openlinks.models import OpenLink  # noqa: F401
from survey_app.questionnaires.models import (  # noqa: F401
    Item,
    ItemGroup,
    Questionnaire,
    Scale,
    ScaleLevel,
    Section,
)
from survey_app.responses.models import Response  # noqa: F401
from survey_app.results.chunks import AggregationChunk  # noqa: F401
from survey_app.results.models import AggregationRun, SubCriterionResult, UnitResult  # noqa: F401
from survey_app.rounds.models import FrameStratum, PopulationMargin, Round  # noqa: F401
from survey_app.units.models import PreviousResult, Unit, UnitKind  # noqa: F401
