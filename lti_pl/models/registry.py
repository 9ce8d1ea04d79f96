"""Imports the feature areas' model modules so metadata and migrations see every table."""

from lti_pl.models import choice_boards, evidence, jobs, profiles, standards, targets, teaching

AREAS = (targets, evidence, choice_boards, profiles, teaching, standards, jobs)
