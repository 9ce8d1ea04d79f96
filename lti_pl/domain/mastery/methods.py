"""The calculation methods: one record per method, with its words, parameters and computation.

Everything the app says or does about a method comes from its record here: the teacher's
label and description on the forms, each parameter's label, effect and range, the sentence a
student reads ("Your recent work counts most"), and the computation (a builder in canvas.py,
recent.py, power_law.py or bkt.py).
Look a method up with `calculation_method(name)`: it raises InvalidInputError for an unknown name.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from lti_pl.domain.errors import InvalidInputError
from lti_pl.domain.mastery import bkt, canvas, engine, power_law, recent
from lti_pl.domain.mastery.parameters import Kind, Parameter
from lti_pl.domain.mastery.result import (
    NO_EVIDENCE,
    format_points,
    mastery_level,
)
from lti_pl.domain.targets import MasteryScale


@dataclass(frozen=True)
class Method:
    """A calculation method.

    Attributes:
        name: the stored key (e.g. "decaying_average"), never shown to people.
        label: its name in words for teachers, e.g. "Decaying average".
        description: what it does, for a teacher choosing it (one or two sentences).
        for_teacher: what counts, for a teacher reading a student's result; a template
            over the parameters' words (`{weight}`, `{weight_rest}`) and `{mastery}`.
        for_student: what counts, for the student; the same kind of template, e.g.
            "Your recent work counts most".
        parameters: its parameters, in form order.
        build: the computation (see engine.Builder).
    """

    name: str
    label: str
    description: str
    for_teacher: str
    for_student: str
    parameters: tuple[Parameter, ...]
    build: engine.Builder

    def defaults(self) -> dict[str, float]:
        """Every parameter at its default."""
        return {parameter.name: parameter.default for parameter in self.parameters}

    def words(self, params: Mapping[str, float], scale: MasteryScale) -> dict[str, str]:
        """The template values: each parameter in words (shares also as `<name>_rest`)."""
        values = {**self.defaults(), **params}
        words = {"mastery": mastery_level(scale).label}
        for parameter in self.parameters:
            value = values[parameter.name]
            words[parameter.name] = parameter.words(value)
            if parameter.kind is Kind.SHARE:
                words[f"{parameter.name}_rest"] = parameter.words(1 - value)
        return words

    def student_sentence(self, params: Mapping[str, float], scale: MasteryScale) -> str:
        """What counts, for the student, e.g. "Your latest score counts 65% and ..."."""
        return self.for_student.format_map(self.words(params, scale))

    def teacher_sentence(self, params: Mapping[str, float], scale: MasteryScale) -> str:
        """What counts, for the teacher, e.g. "Recent scores count most: ..."."""
        return self.for_teacher.format_map(self.words(params, scale))


def _share(name: str, label: str, description: str, effect: str) -> Parameter:
    return Parameter(name, label, description, effect, Kind.SHARE, 0.65, 0, 1, False)


_TIES = Parameter(
    "ties",
    "When two scores are equally frequent",
    "Which of two equally frequent scores counts.",
    "The higher one favours the student; the more recent one follows their newest work.",
    Kind.CHOICE,
    0,
    0,
    1,
    whole=True,
    choices=((0, "the more recent one counts"), (1, "the higher one counts")),
)
_WINDOW = Parameter(
    "window",
    "How many recent scores count",
    "Only this many of the most recent scores count; older ones are left out.",
    "More scores give a steadier result; fewer follow recent work more closely.",
    Kind.COUNT,
    3,
    1,
    None,
    whole=True,
)
# Slip and guess stay strictly between 0 and 0.5 so that a correct answer is always evidence
# of knowing, and Bayes' rule never divides by zero.
_BKT_PARAMETERS = (
    Parameter(
        "p_init",
        "Chance of knowing it at the start",
        "How likely a student is to know the target before any evidence (0.3 means 30%).",
        "Higher: fewer correct answers are needed to reach mastery.",
        Kind.PROBABILITY,
        0.3,
        0,
        1,
    ),
    Parameter(
        "p_transit",
        "Chance of learning it at each try",
        "How likely a student is to learn the target between one assessment and the next.",
        "Higher: the probability rises faster from one assessment to the next.",
        Kind.PROBABILITY,
        0.1,
        0,
        1,
    ),
    Parameter(
        "p_slip",
        "Chance of a slip",
        "How likely a student who knows the target is to score below mastery anyway.",
        "Higher: a low score counts less against the student.",
        Kind.PROBABILITY,
        0.1,
        0,
        0.5,
        False,
        False,
    ),
    Parameter(
        "p_guess",
        "Chance of a lucky guess",
        "How likely a student who does not know the target is to reach mastery anyway.",
        "Higher: a high score counts less as proof of learning.",
        Kind.PROBABILITY,
        0.2,
        0,
        0.5,
        False,
        False,
    ),
    Parameter(
        "threshold",
        "Probability that counts as mastered",
        "The target counts as mastered once the probability reaches this (0.95 means 95%).",
        "Higher: more evidence is needed before the target counts as mastered.",
        Kind.PROBABILITY,
        0.95,
        0,
        1,
        minimum_allowed=False,
    ),
)

_METHODS = (
    Method(
        "decaying_average",
        "Decaying average",
        "Every score counts, recent work most: each new score makes up a set share of the "
        "result (65% by default) and older scores fade step by step.",
        "Recent work counts most: each new score makes up {weight} of the result and older "
        "scores fade step by step",
        "Your recent work counts most",
        (
            _share(
                "weight",
                "Weight of each new score",
                "The share of the result each new score makes up (0.65 means 65%).",
                "Higher: the result follows recent work closely; lower: older work keeps "
                "counting for longer.",
            ),
        ),
        canvas.decaying_average,
    ),
    Method(
        "weighted_average",
        "Weighted average (Canvas)",
        "The latest score counts for a set share (65% by default) and the average of all "
        "earlier scores for the rest, as in Canvas.",
        "The latest score counts {weight} and the average of the earlier scores {weight_rest}",
        "Your latest score counts {weight} and your earlier scores together {weight_rest}",
        (
            _share(
                "weight",
                "Weight of the latest score",
                "The share of the result the latest score makes up (0.65 means 65%); the "
                "average of all earlier scores makes up the rest.",
                "Higher: the latest score decides more; lower: earlier scores count more.",
            ),
        ),
        canvas.weighted_average,
    ),
    Method(
        "n_mastery",
        "Mastery a number of times",
        "Mastery must be shown a set number of times (2 by default); the result is then the "
        "average of the scores at mastery or above.",
        "{mastery} must be reached {n} times; then the result is the average of those scores",
        "You need to reach {mastery} {n} times",
        (
            Parameter(
                "n",
                "Times needed",
                "How many scores must reach mastery before the target counts as mastered.",
                "Higher: mastery must be shown more often before it counts.",
                Kind.COUNT,
                2,
                1,
                None,
                whole=True,
            ),
        ),
        canvas.n_mastery,
    ),
    Method(
        "latest",
        "Most recent score",
        "The most recent score, whatever came before.",
        "The most recent score counts",
        "Your most recent score counts",
        (),
        canvas.latest,
    ),
    Method(
        "highest",
        "Highest score",
        "The highest score so far.",
        "The highest score so far counts",
        "Your best score counts",
        (),
        canvas.highest,
    ),
    Method(
        "average",
        "Average",
        "The average of all scores, each counting equally.",
        "All scores count equally",
        "All your scores count equally",
        (),
        canvas.average,
    ),
    Method(
        "mode",
        "Most frequent score",
        "The score that comes up most often; a tie goes to the more recent score, or to the "
        "higher one (as MasteryConnect does).",
        "The most frequent score counts; in a tie {ties}",
        "The score you get most often counts",
        (_TIES,),
        recent.mode,
    ),
    Method(
        "recent_average",
        "Average of recent scores",
        "The average of the most recent scores only (the last 3 by default).",
        "The average of the last {window} scores counts",
        "Your last {window} scores count equally",
        (_WINDOW,),
        recent.recent_average,
    ),
    Method(
        "recent_highest",
        "Highest of recent scores",
        "The highest of the most recent scores only (the last 3 by default).",
        "The highest of the last {window} scores counts",
        "Your best of your last {window} scores counts",
        (_WINDOW,),
        recent.recent_highest,
    ),
    Method(
        "recent_mode",
        "Most frequent of recent scores",
        "The most frequent of the most recent scores only (the last 3 by default).",
        "The most frequent of the last {window} scores counts; in a tie {ties}",
        "The score you got most often in your last {window} counts",
        (_WINDOW, _TIES),
        recent.recent_mode,
    ),
    Method(
        "power_law",
        "Power law (trend)",
        "The trend of the scores across attempts (Marzano's power law), so steady growth "
        "counts before an average would catch up.",
        "The trend of the scores across attempts counts (Marzano's power law)",
        "The trend of your scores over time counts",
        (),
        power_law.power_law,
    ),
    Method(
        "bkt",
        "Knowledge tracing (probability)",
        "The probability that the student has learned the target, updated after every score "
        "(Bayesian Knowledge Tracing); mastered at 95% by default.",
        "The probability that the student has learned this counts ({threshold} means mastered)",
        "What counts is how likely it is that you have learned this ({threshold} means mastered)",
        _BKT_PARAMETERS,
        bkt.bkt,
    ),
)

#: Every calculation method by name, in the order the forms list them (read-only).
CALCULATION_METHODS: Mapping[str, Method] = MappingProxyType({m.name: m for m in _METHODS})


def calculation_method(name: str) -> Method:
    """The calculation method registered under a name.

    Raises:
        InvalidInputError: no method has that name.
    """
    try:
        return CALCULATION_METHODS[name]
    except KeyError:
        known = ", ".join(CALCULATION_METHODS)
        raise InvalidInputError(
            f"Unknown calculation method {name!r}; choose one of {known}.",
            field="calculation_method",
        ) from None


def validate_params(name: str, params: Mapping[str, str | float]) -> dict[str, float]:
    """Parse and range-check a method's parameters, e.g. from a teacher's form.

    Args:
        name: the calculation method's name.
        params: values as numbers or text; a blank text means "use the default".

    Returns:
        The given parameters as numbers (blank ones left out, defaults not filled in).

    Raises:
        InvalidInputError: the method is unknown, a parameter is not the method's, is not a
            number, or is out of range; the message gives the reason in one line.
    """
    record = calculation_method(name)
    allowed = {parameter.name: parameter for parameter in record.parameters}
    parsed: dict[str, float] = {}
    for key, value in params.items():
        parameter = allowed.get(key)
        if parameter is None:
            takes = ", ".join(allowed) if allowed else "no parameters"
            raise InvalidInputError(
                f"{record.label} has no parameter {key!r} (it takes {takes}).", field=key
            )
        number = parameter.parse(value)
        if number is not None:
            parsed[key] = number
    return parsed


def teacher_explanation(
    name: str,
    params: Mapping[str, float],
    scale: MasteryScale,
    *,
    score: float | None,
    label: str,
    mastered: bool,
    next_score: float | None,
    probability: float | None = None,
) -> str:
    """A student's result explained to the teacher, in the third person.

    E.g. "Decaying average. Recent work counts most: each new score makes up 65% of the
    result and older scores fade step by step. Now 2.65, Near Mastery; a 4 as the next score
    would reach Mastery."

    Raises:
        InvalidInputError: unknown method.
    """
    record = calculation_method(name)
    if score is None:
        return NO_EVIDENCE
    target = mastery_level(scale).label
    if probability is not None:
        # Floor, as the student's sentence does: 94.9% must not read as a 95% threshold.
        value = f"{math.floor(round(probability * 100, 6))}% likely"
    else:
        value = format_points(score)
    if mastered:
        ahead = f"{target} reached"
    elif next_score is not None:
        ahead = f"a {format_points(next_score)} as the next score would reach {target}"
    else:
        ahead = f"more than one more score is needed to reach {target}"
    sentence = record.teacher_sentence(params, scale)
    return f"{record.label}. {sentence}. Now {value}, {label}; {ahead}."
