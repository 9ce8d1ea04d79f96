"""Imports the feature areas' model modules so metadata and migrations see every table."""

import importlib
import importlib.util

AREAS = ("targets", "evidence", "choice_boards", "profiles", "teaching", "standards")

for _name in AREAS:
    # Areas are added one at a time; a module that does not exist yet is an area not built yet.
    if importlib.util.find_spec(f"lti_pl.models.{_name}") is not None:
        importlib.import_module(f"lti_pl.models.{_name}")
