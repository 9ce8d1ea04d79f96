"""What the grade audit trail records: the teacher actions that change or re-send a grade."""

from __future__ import annotations

from enum import StrEnum


class AuditAction(StrEnum):
    """One kind of entry in the grade audit trail."""

    ASSESSMENT = "assessment"
    OVERRIDE = "override"
    OVERRIDE_RELEASED = "override_released"
    RETRY = "retry"
    WORK_DATE = "work_date"
    AGGREGATE_MODE = "aggregate_mode"


#: What the teacher's audit page calls each action.
ACTION_LABELS = {
    AuditAction.ASSESSMENT: "Assessed",
    AuditAction.OVERRIDE: "Set level by hand",
    AuditAction.OVERRIDE_RELEASED: "Released a set level",
    AuditAction.RETRY: "Sent failed scores again",
    AuditAction.WORK_DATE: "Corrected the date of the work",
    AuditAction.AGGREGATE_MODE: "Changed how the overall grade counts targets",
}
