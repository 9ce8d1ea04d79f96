"""An enrollment's roster status, as NRPS names it (the one vocabulary for who is in a course)."""

from __future__ import annotations

from enum import StrEnum


class EnrollmentStatus(StrEnum):
    """NRPS member status of an enrollment.

    Two questions use it, each in one way everywhere:
    - on the roster (pages, the data wall, access): every status but DELETED;
    - active (grades sent to the LMS, roster counts): ACTIVE only.
    """

    ACTIVE = "Active"
    INACTIVE = "Inactive"
    DELETED = "Deleted"
