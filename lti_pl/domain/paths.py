"""Learning paths: targets in order, with prerequisites, and which step a student may take."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass
from enum import StrEnum

from lti_pl.domain.errors import InvalidInputError


@dataclass(frozen=True)
class PathStep:
    """One learning target on a path.

    Attributes:
        target_id: the learning target.
        position: its place on the path (any distinct integers; lower comes first).
        prerequisites: targets on this path that must be mastered first.
    """

    target_id: int
    position: int
    prerequisites: frozenset[int] = frozenset()


class StepState(StrEnum):
    """Where a student is on one step."""

    LOCKED = "locked"
    AVAILABLE = "available"
    MASTERED = "mastered"


@dataclass(frozen=True)
class StepStatus:
    """A step and the student's state on it.

    Attributes:
        step: the step.
        state: locked, available or mastered.
        waiting_for: target ids not yet mastered that keep it locked (prerequisites, and on a
            sequential path the previous step), sorted; empty unless locked.
    """

    step: PathStep
    state: StepState
    waiting_for: tuple[int, ...]


def path_status(
    steps: Sequence[PathStep], mastered_target_ids: Set[int], *, is_sequential: bool = False
) -> list[StepStatus]:
    """Each step's state for one student, in path order.

    A mastered target is MASTERED even if reached out of order. Otherwise a step is AVAILABLE
    when all its prerequisites are mastered and, on a sequential path, the previous step is
    mastered too; else LOCKED.
    """
    ordered = sorted(steps, key=lambda s: (s.position, s.target_id))
    statuses = []
    previous: PathStep | None = None
    for step in ordered:
        if step.target_id in mastered_target_ids:
            statuses.append(StepStatus(step, StepState.MASTERED, ()))
        else:
            needed = set(step.prerequisites)
            if is_sequential and previous is not None:
                needed.add(previous.target_id)
            waiting = tuple(sorted(needed - set(mastered_target_ids)))
            state = StepState.LOCKED if waiting else StepState.AVAILABLE
            statuses.append(StepStatus(step, state, waiting))
        previous = step
    return statuses


def validate_prerequisites(
    steps: Sequence[PathStep],
    *,
    is_sequential: bool = False,
    names: Mapping[int, str] | None = None,
) -> None:
    """Check that a path can be completed.

    Rules: each target appears once and each position once; every prerequisite is a target on
    the path; no target depends on itself, directly or in a circle; on a sequential path a
    prerequisite comes earlier on the path.

    Args:
        steps: the path.
        is_sequential: whether each step also waits for the previous one.
        names: target id -> statement, for messages; ids are shown as "target 7" without it.

    Raises:
        InvalidInputError: with field "prerequisites" (or "position" / "steps"), naming the
            targets involved; a circle reads "A → B → A".
    """

    def name(target_id: int) -> str:
        return (names or {}).get(target_id, f"target {target_id}")

    repeated = [t for t, n in Counter(s.target_id for s in steps).items() if n > 1]
    if repeated:
        raise InvalidInputError(f"{name(min(repeated))} is on the path twice.", field="steps")
    if len({s.position for s in steps}) != len(steps):
        raise InvalidInputError("Two steps share a position; give each its own.", field="position")
    by_id = {s.target_id: s for s in steps}
    for step in sorted(steps, key=lambda s: s.position):
        unknown = sorted(step.prerequisites - by_id.keys())
        if unknown:
            raise InvalidInputError(
                f"{name(step.target_id)} depends on {name(unknown[0])}, which is not on this path.",
                field="prerequisites",
            )
    cycle = find_cycle(steps)
    if cycle:
        raise InvalidInputError(
            "These steps depend on each other in a circle, so nobody could start them: "
            + " → ".join(name(t) for t in cycle)
            + ".",
            field="prerequisites",
        )
    if is_sequential:
        for step in sorted(steps, key=lambda s: s.position):
            later = sorted(p for p in step.prerequisites if by_id[p].position > step.position)
            if later:
                raise InvalidInputError(
                    f"{name(step.target_id)} depends on {name(later[0])}, which comes later on "
                    "this path; move it earlier or remove the prerequisite.",
                    field="prerequisites",
                )


def find_cycle(steps: Sequence[PathStep]) -> tuple[int, ...] | None:
    """A circle of prerequisites, as target ids with the first repeated at the end, or None.

    Prerequisites not on the path are ignored. The search starts from the lowest target id, so
    the same path always reports the same circle.
    """
    edges = {s.target_id: sorted(s.prerequisites) for s in steps}
    done: set[int] = set()
    for start in sorted(edges):
        if start in done:
            continue
        # Iterative depth-first search; `trail` is the current path, `on_trail` its members.
        trail: list[int] = [start]
        on_trail = {start}
        pending: list[list[int]] = [[p for p in edges[start] if p in edges]]
        while trail:
            if not pending[-1]:
                finished = trail.pop()
                on_trail.discard(finished)
                done.add(finished)
                pending.pop()
                continue
            nxt = pending[-1].pop(0)
            if nxt in on_trail:
                return (*trail[trail.index(nxt) :], nxt)
            if nxt in done:
                continue
            trail.append(nxt)
            on_trail.add(nxt)
            pending.append([p for p in edges[nxt] if p in edges])
    return None
