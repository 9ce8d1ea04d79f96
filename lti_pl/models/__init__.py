"""Typed SQLAlchemy models, one module per area. Importing this package registers them all."""

from lti_pl.models import courses, grades, platforms, security  # noqa: F401
from lti_pl.models import registry as _registry  # noqa: F401
