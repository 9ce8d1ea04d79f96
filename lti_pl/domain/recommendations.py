"""Which activities on a choice board fit a student, in what order, and why.

The fit score adds up the weights below; the order is then fixed by tiers (must-dos first, done
activities last) and the structure dial, with ties broken by the teacher's position, then id.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

from lti_pl.domain.choice_boards import (
    ActivityStatus,
    ActivityView,
    Readiness,
    readiness_for_level,
)
from lti_pl.domain.profiles import LearningProfile, StructureDial
from lti_pl.domain.targets import MasteryScale

#: The activity's readiness is the student's (reteach / practice / extension). The strongest
#: signal: an extension task is no help to a student who needs reteaching, however well it fits
#: their interests.
READINESS_MATCH_WEIGHT = 3.0
#: The activity's readiness is one band away from the student's (practice for a reteach student).
READINESS_NEAR_WEIGHT = 1.0
#: Per interest the activity shares with the student, up to MAX_INTEREST_MATCHES.
INTEREST_WEIGHT = 1.0
MAX_INTEREST_MATCHES = 2
#: The activity's modality is one the student prefers.
MODALITY_WEIGHT = 1.0
#: The student has started the activity: finishing beats starting something new.
IN_PROGRESS_WEIGHT = 0.5
#: How many may-dos are flagged as recommended.
RECOMMENDED_COUNT = 3

_READINESS_ORDER: Mapping[Readiness, int] = MappingProxyType(
    {Readiness.RETEACH: 0, Readiness.PRACTICE: 1, Readiness.EXTENSION: 2}
)
_READINESS_NOUNS: Mapping[Readiness, str] = MappingProxyType(
    {
        Readiness.RETEACH: "reteaching",
        Readiness.PRACTICE: "practice",
        Readiness.EXTENSION: "an extension",
    }
)

MUST_DO_REASON = "Must-do on this board"
ASSIGNED_REASON = "Your teacher assigned this"
LOCKED_REASON = "Your teacher has not assigned this to you yet"
IN_PROGRESS_REASON = "You have started this"
DONE_REASON = "You have done this"


@dataclass(frozen=True)
class Recommendation:
    """One activity placed for one student.

    Attributes:
        activity: the activity.
        score: the fit score (sum of the module's weights); higher fits better.
        reasons: short reasons, each a clause a student can read ("You like drawing").
        is_recommended: one of the top RECOMMENDED_COUNT unlocked, not-done may-dos with a
            positive score.
        is_locked: the student may not start it (dial ASSIGNED and not assigned).
    """

    activity: ActivityView
    score: float
    reasons: tuple[str, ...]
    is_recommended: bool
    is_locked: bool


def rank_activities(
    activities: Sequence[ActivityView],
    *,
    profile: LearningProfile,
    level_points: float | None,
    scale: MasteryScale,
    statuses: Mapping[int, ActivityStatus],
    dial: StructureDial,
    assigned_ids: frozenset[int],
) -> list[Recommendation]:
    """Order a board's activities for one student.

    Order, for every dial: must-dos first (not done before done), then may-dos not done, then
    done may-dos. Within a tier: higher score first, then position, then id.

    - FREE: may-dos not done are ordered by score; all unlocked.
    - GUIDED: recommended may-dos come right after the must-dos; the other may-dos follow in the
      teacher's order (position, id), not by score; all unlocked.
    - ASSIGNED: only `assigned_ids` are unlocked (must-dos included: the teacher assigns those
      too); assigned activities come first, each group in the FREE order.

    Args:
        activities: the board's activities.
        profile: the student's learning profile.
        level_points: the student's current score on the board's target; None without evidence,
            in which case readiness does not count.
        scale: the target's mastery scale.
        statuses: activity id -> status; a missing id is not started.
        dial: the student's structure dial.
        assigned_ids: activities the teacher assigned (used by ASSIGNED only).

    Returns:
        A permutation of `activities`, as recommendations.
    """
    level = None if level_points is None else scale.level_for(level_points)
    student_readiness = None if level_points is None else readiness_for_level(level_points, scale)
    interests = {i.lower() for i in profile.interests}

    scored: list[tuple[ActivityView, float, tuple[str, ...], ActivityStatus, bool]] = []
    for activity in activities:
        status = statuses.get(activity.id, ActivityStatus.NOT_STARTED)
        is_locked = dial is StructureDial.ASSIGNED and activity.id not in assigned_ids
        score = 0.0
        reasons: list[str] = []
        if activity.is_must_do:
            reasons.append(MUST_DO_REASON)
        if dial is StructureDial.ASSIGNED:
            reasons.append(LOCKED_REASON if is_locked else ASSIGNED_REASON)
        if student_readiness is not None and level is not None:
            distance = abs(
                _READINESS_ORDER[activity.readiness] - _READINESS_ORDER[student_readiness]
            )
            if distance == 0:
                score += READINESS_MATCH_WEIGHT
                reasons.append(
                    f"You are at {level.label} and this is {_READINESS_NOUNS[activity.readiness]}"
                )
            elif distance == 1:
                score += READINESS_NEAR_WEIGHT
        shared = sorted(interests & {i.lower() for i in activity.interests})
        if shared:
            score += INTEREST_WEIGHT * min(len(shared), MAX_INTEREST_MATCHES)
            reasons.append(f"You like {_join_and(shared)}")
        if activity.modality in profile.modalities:
            score += MODALITY_WEIGHT
            # Modality values are verbs: "You prefer to watch".
            reasons.append(f"You prefer to {activity.modality.value}")
        if status is ActivityStatus.IN_PROGRESS:
            score += IN_PROGRESS_WEIGHT
            reasons.append(IN_PROGRESS_REASON)
        elif status is ActivityStatus.DONE:
            reasons.append(DONE_REASON)
        scored.append((activity, score, tuple(reasons), status, is_locked))

    candidates = sorted(
        (
            entry
            for entry in scored
            if not entry[0].is_must_do
            and entry[3] is not ActivityStatus.DONE
            and not entry[4]
            and entry[1] > 0
        ),
        key=lambda entry: (-entry[1], entry[0].position, entry[0].id),
    )
    recommended_ids = {entry[0].id for entry in candidates[:RECOMMENDED_COUNT]}

    def sort_key(
        entry: tuple[ActivityView, float, tuple[str, ...], ActivityStatus, bool],
    ) -> tuple[int, int, float, int, int]:
        activity, score, _, status, is_locked = entry
        is_done = status is ActivityStatus.DONE
        if activity.is_must_do:
            tier = 1 if is_done else 0
        elif is_done:
            tier = 4
        elif dial is StructureDial.GUIDED and activity.id not in recommended_ids:
            # Guided students see the teacher's order after their recommendations.
            return (int(is_locked), 3, 0.0, activity.position, activity.id)
        else:
            tier = 2
        return (int(is_locked), tier, -score, activity.position, activity.id)

    return [
        Recommendation(
            activity=activity,
            score=score,
            reasons=reasons,
            is_recommended=activity.id in recommended_ids,
            is_locked=is_locked,
        )
        for activity, score, reasons, _, is_locked in sorted(scored, key=sort_key)
    ]


def why(recommendation: Recommendation) -> str:
    """The reasons as one line a student can read.

    Reasons not about the student ("Must-do on this board") become their own sentence; the
    "You …" reasons share one subject: "You are at Near Mastery and this is practice, and you like
    drawing and prefer to watch." or "You like drawing and prefer to watch."
    """
    sentences = [r + "." for r in recommendation.reasons if not r.startswith("You ")]
    clauses = [r.removeprefix("You ") for r in recommendation.reasons if r.startswith("You ")]
    if len(clauses) == 1:
        sentences.append(f"You {clauses[0]}.")
    elif clauses and " and " in clauses[0]:
        # A clause with its own "and" would blur into a list: "at Near Mastery and this is
        # practice, like drawing"; a second "you" keeps it readable.
        sentences.append(f"You {clauses[0]}, and you {_join_and(clauses[1:])}.")
    elif clauses:
        sentences.append(f"You {_join_and(clauses)}.")
    if not sentences:
        return "Pick this one if it looks interesting."
    return " ".join(sentences)


def _join_and(words: Sequence[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]
