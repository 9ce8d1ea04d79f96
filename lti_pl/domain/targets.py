"""Learning targets and the mastery scale they are measured on."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from lti_pl.domain.errors import InvalidInputError


@dataclass(frozen=True)
class MasteryLevel:
    """One level of a mastery scale.

    Attributes:
        points: the score on the scale (e.g. 3).
        label: what students see ("Mastery").
        color: a CSS hex colour for the data wall; never used without the label.
    """

    points: float
    label: str
    color: str


@dataclass(frozen=True)
class MasteryScale:
    """An ordered mastery scale with a mastery threshold.

    Attributes:
        levels: levels from highest to lowest points.
        mastery_points: the score at or above which a target counts as mastered.
    """

    levels: tuple[MasteryLevel, ...]
    mastery_points: float

    def __post_init__(self) -> None:
        if not self.levels:
            raise InvalidInputError("A mastery scale needs at least one level.")
        points = [level.points for level in self.levels]
        if points != sorted(points, reverse=True) or len(set(points)) != len(points):
            raise InvalidInputError("Scale levels must have distinct points, highest first.")
        if not self.min_points <= self.mastery_points <= self.max_points:
            raise InvalidInputError("The mastery threshold must lie on the scale.")

    @property
    def max_points(self) -> float:
        """The highest score on the scale."""
        return self.levels[0].points

    @property
    def min_points(self) -> float:
        """The lowest score on the scale."""
        return self.levels[-1].points

    def level_for(self, score: float) -> MasteryLevel:
        """The highest level whose points the score reaches (the lowest level below all)."""
        for level in self.levels:
            if score >= level.points:
                return level
        return self.levels[-1]

    def clamp(self, score: float) -> float:
        """The score limited to the scale's range."""
        return min(self.max_points, max(self.min_points, score))

    def is_mastered(self, score: float) -> bool:
        """Whether a score reaches the mastery threshold."""
        return score >= self.mastery_points

    @classmethod
    def from_levels(
        cls, levels: Sequence[tuple[float, str, str]], mastery_points: float
    ) -> MasteryScale:
        """Build a scale from (points, label, colour) rows in any order."""
        ordered = sorted(levels, key=lambda row: row[0], reverse=True)
        return cls(
            tuple(MasteryLevel(p, label, color) for p, label, color in ordered), mastery_points
        )


#: Canvas's default outcome scale.
DEFAULT_SCALE = MasteryScale(
    levels=(
        MasteryLevel(4, "Exceeds Mastery", "#127a1b"),
        MasteryLevel(3, "Mastery", "#0b874b"),
        MasteryLevel(2, "Near Mastery", "#fab901"),
        MasteryLevel(1, "Below Mastery", "#fd5d10"),
        MasteryLevel(0, "Well Below Mastery", "#e0061f"),
    ),
    mastery_points=3,
)

#: Default conversion from a mastery level's points to a percentage grade.
DEFAULT_GRADE_TABLE: dict[float, float] = {4: 100.0, 3: 85.0, 2: 70.0, 1: 55.0, 0: 0.0}


@dataclass(frozen=True)
class LearningTarget:
    """An "I can …" statement as the domain sees it.

    Attributes:
        id: the stored id.
        statement: the "I can …" text.
        calculation_method: a key of mastery.CALCULATION_METHODS, or None for the course default.
        params: parameters of that method.
    """

    id: int
    statement: str
    calculation_method: str | None = None
    params: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class GradeConversion:
    """How a mastery result becomes a percentage grade for the LMS gradebook.

    Attributes:
        table: level points to percent (e.g. 4 -> 100, 3 -> 85); None converts proportionally
            (score / max points * 100).
    """

    table: tuple[tuple[float, float], ...] | None

    @classmethod
    def from_table(cls, table: dict[float, float] | None) -> GradeConversion:
        """A conversion from a {points: percent} table, or proportional for None."""
        if table is None:
            return cls(None)
        return cls(tuple(sorted(((float(p), float(g)) for p, g in table.items()), reverse=True)))

    @property
    def is_proportional(self) -> bool:
        """Whether grades are score / max * 100 rather than a table lookup."""
        return self.table is None

    def check(self, scale: MasteryScale) -> None:
        """Raise InvalidInputError unless every level has a grade between 0 and 100."""
        if self.table is None:
            return
        grades = dict(self.table)
        for level in scale.levels:
            grade = grades.get(float(level.points))
            if grade is None:
                raise InvalidInputError(
                    f"Give a grade for {level.label} ({level.points:g}).", field="grade_table"
                )
            if not 0 <= grade <= 100:
                raise InvalidInputError(
                    f"The grade for {level.label} must be between 0 and 100.", field="grade_table"
                )

    def grade(self, score: float, scale: MasteryScale) -> float:
        """The percentage for a score on the scale.

        A table converts by the level the score reaches (2.65 is Near Mastery, so 70); a level
        missing from the table converts proportionally. Proportional is score / max * 100,
        clamped to 0..100.
        """
        if self.table is not None:
            points = float(scale.level_for(score).points)
            for table_points, grade in self.table:
                if table_points == points:
                    return grade
        if scale.max_points <= 0:
            return 0.0
        return round(min(100.0, max(0.0, score / scale.max_points * 100)), 2)


#: Canvas-like default: 4 -> 100, 3 -> 85, 2 -> 70, 1 -> 55, 0 -> 0.
DEFAULT_GRADE_CONVERSION = GradeConversion.from_table(DEFAULT_GRADE_TABLE)
