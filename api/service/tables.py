"""Every table of the service in one metadata: :mod:`api.service.models` and the modules
that keep a feature's tables apart, all on its ``Base``. The migrations compare against
``metadata``; so does the test that the migrations match the models."""

from __future__ import annotations

from . import attendance_models, employer_models, points_models
from .models import Base

FEATURE_MODELS = (attendance_models, employer_models, points_models)
metadata = Base.metadata
