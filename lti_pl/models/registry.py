"""Imports the feature areas' model modules so metadata and migrations see every table."""

from lti_pl.models import choice_boards, evidence, profiles, targets

AREAS = (targets, evidence, choice_boards, profiles)
