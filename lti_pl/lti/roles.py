"""LTI role URIs become a CourseRole here, once."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum


class CourseRole(StrEnum):
    """What a person may do in a course."""

    TEACHER = "teacher"
    STUDENT = "student"
    OBSERVER = "observer"


LIS = "http://purl.imsglobal.org/vocab/lis/v2/"
TEACHER_ROLES = {"Instructor", "TeachingAssistant", "ContentDeveloper", "Administrator"}
OBSERVER_ROLES = {"Mentor"}
STUDENT_ROLES = {"Learner"}


def _parse(role: str) -> tuple[str, str]:
    """(kind, name) for a role URI: kind is membership, institution, system or '' (short form)."""
    if role.startswith(LIS):
        head, _, fragment = role[len(LIS) :].partition("#")
        parts = head.split("/")
        kind = parts[0]
        # "membership/Instructor#TeachingAssistant" is a sub-role of its principal, Instructor.
        name = parts[1] if kind == "membership" and len(parts) > 1 else fragment
        return kind, name
    if "#" in role or "/" in role:
        return "other", role
    return "", role  # the deprecated short form, e.g. "Instructor"


def course_role(roles: Iterable[str]) -> CourseRole | None:
    """The course role for the role claim, or None when no known role is present.

    Context (membership) roles win over institution and system roles, since Canvas sends an
    institution's Instructor role even where the person is a student in this course.
    """
    parsed = [_parse(r) for r in roles if isinstance(r, str)]
    context = [name for kind, name in parsed if kind in {"membership", ""}]
    names = context or [name for kind, name in parsed if kind in {"institution", "system"}]
    if any(n in TEACHER_ROLES for n in names):
        return CourseRole.TEACHER
    if any(n in STUDENT_ROLES or n == "Student" for n in names):
        return CourseRole.STUDENT
    if any(n in OBSERVER_ROLES for n in names):
        return CourseRole.OBSERVER
    return None
