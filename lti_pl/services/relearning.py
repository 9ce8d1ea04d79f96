"""What a student did to relearn a target: their reflections and finished practice, in order.

Shown where the decisions are made: beside the teacher's reassessment form and in the student
report, and to the student on the target page and in their binder.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from lti_pl.extensions import db
from lti_pl.models.choice_boards import Activity
from lti_pl.models.evidence import RelearningLog

REFLECTION = "reflection"


@dataclass(frozen=True)
class RelearningEntry:
    """One logged piece of relearning.

    Attributes:
        logged_at: when it was logged.
        kind: "reflection" or "practice_activity".
        text: the reflection ("" for practice).
        activity: the practice activity's title ("" for a reflection or a deleted activity).
        is_since_last_assessment: logged after the latest assessment (what a reassessment
            request rests on).
    """

    logged_at: datetime
    kind: str
    text: str
    activity: str
    is_since_last_assessment: bool

    @property
    def summary(self) -> str:
        """One line: the reflection, or the practice activity finished."""
        if self.kind == REFLECTION:
            return self.text
        return f"Finished practice: {self.activity}" if self.activity else "Finished a practice"


def history(
    enrollment_id: int,
    target_id: int | None = None,
    *,
    last_assessed: dict[int, datetime] | None = None,
) -> dict[int, list[RelearningEntry]]:
    """A student's relearning per target, newest first (one query, one for activity titles).

    Args:
        enrollment_id: the student.
        target_id: only this target; None for every target.
        last_assessed: the latest assessment time per target, to mark what came after it.
    """
    query = select(RelearningLog).where(RelearningLog.enrollment_id == enrollment_id)
    if target_id is not None:
        query = query.where(RelearningLog.target_id == target_id)
    logs = list(
        db.session.scalars(query.order_by(RelearningLog.logged_at.desc(), RelearningLog.id.desc()))
    )
    activity_ids = {log.activity_id for log in logs if log.activity_id is not None}
    titles = (
        dict(
            db.session.execute(
                select(Activity.id, Activity.title).where(Activity.id.in_(activity_ids))
            )
            .tuples()
            .all()
        )
        if activity_ids
        else {}
    )
    since = last_assessed or {}
    entries: dict[int, list[RelearningEntry]] = defaultdict(list)
    for log in logs:
        last = since.get(log.target_id)
        entries[log.target_id].append(
            RelearningEntry(
                logged_at=log.logged_at,
                kind=log.kind,
                text=log.text,
                activity=titles.get(log.activity_id, "") if log.activity_id is not None else "",
                is_since_last_assessment=last is None or log.logged_at > last,
            )
        )
    return dict(entries)


def for_target(
    enrollment_id: int, target_id: int, last_assessed_at: datetime | None
) -> list[RelearningEntry]:
    """A student's relearning on one target, newest first."""
    marks = {target_id: last_assessed_at} if last_assessed_at is not None else None
    return history(enrollment_id, target_id, last_assessed=marks).get(target_id, [])
