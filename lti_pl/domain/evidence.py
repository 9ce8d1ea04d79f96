"""Evidence submission rules, and when a student may ask to be (re)assessed."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Set
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from urllib.parse import urlsplit

from lti_pl.domain.errors import InvalidInputError
from lti_pl.domain.targets import MasteryScale


class RequestStatus(StrEnum):
    """A reassessment request's status."""

    PENDING = "pending"
    ASSESSED = "assessed"
    DECLINED = "declined"


#: Longest text answer or note.
MAX_TEXT_CHARS = 10_000
#: Longest link.
MAX_URL_CHARS = 2_000
#: Longest stored file name, extension included.
MAX_FILENAME_CHARS = 100
#: Longest reassessment window, in days.
MAX_WINDOW_DAYS = 3650
#: Sizes are shown in MB of 1024 * 1024 bytes, as operating systems show them.
BYTES_PER_MB = 1024 * 1024

_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
# Windows refuses these as file names whatever the extension; a teacher downloading must not fail.
_RESERVED_NAMES = frozenset(
    {"con", "prn", "aux", "nul"}
    | {f"com{n}" for n in range(1, 10)}
    | {f"lpt{n}" for n in range(1, 10)}
)
_UNSAFE_CHARS = re.compile(r"[^A-Za-z0-9._-]+")


class EvidenceKind(StrEnum):
    """What a piece of evidence is."""

    TEXT = "text"
    LINK = "link"
    FILE = "file"


@dataclass(frozen=True)
class Submission:
    """Evidence that passed `validate_submission`, cleaned.

    Attributes:
        kind: what it is.
        text: the trimmed text (the answer for TEXT, an optional note otherwise), or None.
        url: the trimmed link for LINK, else None.
        filename: the safe file name for FILE, else None.
    """

    kind: EvidenceKind
    text: str | None
    url: str | None
    filename: str | None


def validate_submission(
    kind: EvidenceKind,
    text: str | None,
    url: str | None,
    filename: str | None,
    size: int | None,
    content_type: str | None,
    *,
    max_bytes: int,
    allowed_types: Set[str],
) -> Submission:
    """Check a student's evidence before it is stored.

    Rules: TEXT needs 1..10,000 characters; LINK needs an http(s) URL with a host, up to 2,000
    characters; FILE needs a name, 1..max_bytes bytes and a content type in `allowed_types`
    (compared without parameters and case). Any kind may carry text up to 10,000 characters
    (a note).

    Returns:
        The cleaned submission; the file name is passed through `safe_filename`.

    Raises:
        InvalidInputError: with field "text", "url" or "file".
    """
    cleaned_text = (text or "").strip()
    if len(cleaned_text) > MAX_TEXT_CHARS:
        raise InvalidInputError(
            f"Keep your text to {MAX_TEXT_CHARS:,} characters; it has {len(cleaned_text):,}.",
            field="text",
        )
    if kind is EvidenceKind.TEXT:
        if not cleaned_text:
            raise InvalidInputError("Write something before you submit.", field="text")
        return Submission(kind, cleaned_text, None, None)
    note = cleaned_text or None
    if kind is EvidenceKind.LINK:
        return Submission(kind, note, _validate_url(url), None)
    return Submission(
        kind, note, None, _validate_file(filename, size, content_type, max_bytes, allowed_types)
    )


def _validate_url(url: str | None) -> str:
    cleaned = (url or "").strip()
    if not cleaned:
        raise InvalidInputError("Paste a link to your work.", field="url")
    if len(cleaned) > MAX_URL_CHARS:
        raise InvalidInputError(
            f"That link is longer than {MAX_URL_CHARS:,} characters; use a shorter one.",
            field="url",
        )
    parts = urlsplit(cleaned)
    if parts.scheme.lower() not in {"http", "https"} or not parts.hostname:
        raise InvalidInputError("Links must start with http:// or https://.", field="url")
    return cleaned


def _validate_file(
    filename: str | None,
    size: int | None,
    content_type: str | None,
    max_bytes: int,
    allowed_types: Set[str],
) -> str:
    if not filename or not filename.strip():
        raise InvalidInputError("Choose a file to upload.", field="file")
    if not size or size <= 0:
        raise InvalidInputError("That file is empty; choose another.", field="file")
    if size > max_bytes:
        raise InvalidInputError(
            f"That file is {_megabytes(size)} MB; the limit is {_megabytes(max_bytes)} MB.",
            field="file",
        )
    media_type = (content_type or "").split(";")[0].strip().lower()
    allowed = {t.lower() for t in allowed_types}
    if media_type not in allowed:
        raise InvalidInputError(
            f"Files of type {media_type or 'unknown'} are not accepted; "
            f"upload one of: {', '.join(sorted(allowed))}.",
            field="file",
        )
    return safe_filename(filename)


def _megabytes(size: int) -> str:
    """10485760 -> '10', 1572864 -> '1.5'."""
    return f"{size / BYTES_PER_MB:.1f}".removesuffix(".0")


def safe_filename(name: str) -> str:
    """A file name safe to store and to offer for download.

    Drops any directory part (after a slash or backslash), folds accents to ASCII, turns other
    characters into "_", strips leading dots and separators (no hidden files), avoids Windows
    device names, and keeps at most 100 characters with the extension. An empty result becomes
    "upload".
    """
    base = re.split(r"[/\\]", name)[-1]
    ascii_name = unicodedata.normalize("NFKD", base).encode("ascii", "ignore").decode("ascii")
    cleaned = _UNSAFE_CHARS.sub("_", ascii_name).strip("._-")
    cleaned = re.sub(r"_+", "_", cleaned)
    if not cleaned:
        return "upload"
    stem, dot, extension = cleaned.rpartition(".")
    if not dot:
        stem, extension = cleaned, ""
    if stem.lower() in _RESERVED_NAMES:
        stem = f"_{stem}"
    suffix = f".{extension[:20]}" if extension else ""
    return stem[: MAX_FILENAME_CHARS - len(suffix)] + suffix


class RelearningRequirement(StrEnum):
    """What a student must do between an assessment and asking for a reassessment."""

    NONE = "none"
    PRACTICE_ACTIVITY = "practice_activity"
    REFLECTION = "reflection"
    EITHER = "either"


@dataclass(frozen=True)
class ReassessmentPolicy:
    """A teacher's reassessment rules for a target or course.

    Attributes:
        max_attempts: reassessments allowed after the first assessment; None for no limit,
            0 for none.
        window_days: days after the latest assessment during which a request is allowed; None
            for no limit.
        relearning: what the student must do first.
    """

    max_attempts: int | None
    window_days: int | None
    relearning: RelearningRequirement

    def __post_init__(self) -> None:
        if self.max_attempts is not None and self.max_attempts < 0:
            raise InvalidInputError("Reassessments cannot be fewer than 0.", field="max_attempts")
        if self.window_days is not None and self.window_days < 1:
            raise InvalidInputError("The window must be at least 1 day.", field="window_days")
        if self.window_days is not None and self.window_days > MAX_WINDOW_DAYS:
            # The window's end is a date: millions of days would pass the year 9999.
            raise InvalidInputError(
                f"The window can be at most {MAX_WINDOW_DAYS:,} days (ten years).",
                field="window_days",
            )


@dataclass(frozen=True)
class Decision:
    """Whether a request is allowed, and a sentence the student reads either way.

    Attributes:
        is_allowed: whether the request may be made.
        reason: why not, or what happens next.
    """

    is_allowed: bool
    reason: str


def can_request_reassessment(
    policy: ReassessmentPolicy,
    *,
    attempts_so_far: int,
    last_assessed_at: datetime | None,
    last_score: float | None,
    scale: MasteryScale,
    relearning_logged_since_last: bool,
    has_practice_done_since_last: bool,
    pending_request: bool,
    now: datetime,
) -> Decision:
    """Decide whether a student may ask to be (re)assessed on a target.

    Checked in order: a pending request refuses; no previous assessment allows ("ready to be
    assessed"); then the attempt limit, the window (open until last_assessed_at + window_days),
    a score already at the top of the scale, and the relearning requirement.

    Args:
        policy: the teacher's rules.
        attempts_so_far: reassessments already made (the first assessment does not count).
        last_assessed_at: when the latest assessment was, or None if never assessed.
        last_score: the latest score, or None.
        scale: the target's scale.
        relearning_logged_since_last: a reflection was written since the latest assessment.
        has_practice_done_since_last: a practice activity was finished since then.
        pending_request: a request is already waiting for the teacher.
        now: the current time (same timezone awareness as `last_assessed_at`).
    """
    if pending_request:
        return Decision(False, "You already have a request waiting for your teacher.")
    if last_assessed_at is None:
        return Decision(True, "Tell your teacher you are ready to be assessed.")
    if policy.max_attempts is not None and attempts_so_far >= policy.max_attempts:
        if policy.max_attempts == 0:
            return Decision(False, "This target has no reassessments.")
        noun = "reassessment" if policy.max_attempts == 1 else "reassessments"
        return Decision(False, f"You have used all {policy.max_attempts} {noun} for this target.")
    if policy.window_days is not None:
        closes = last_assessed_at + timedelta(days=policy.window_days)
        if now > closes:
            return Decision(False, f"The reassessment window closed on {_day(closes, now)}.")
    if last_score is not None and last_score >= scale.max_points:
        top = scale.level_for(scale.max_points).label
        return Decision(False, f"You are already at the top of the scale ({top}).")
    missing = _missing_relearning(
        policy.relearning, relearning_logged_since_last, has_practice_done_since_last
    )
    if missing:
        return Decision(False, missing)
    if policy.max_attempts is None:
        return Decision(True, "You can ask for a reassessment.")
    left = policy.max_attempts - attempts_so_far
    return Decision(True, f"You can ask for a reassessment ({left} of {policy.max_attempts} left).")


def _missing_relearning(
    requirement: RelearningRequirement, has_reflection: bool, has_practice: bool
) -> str | None:
    """The sentence for unmet relearning, or None when it is met."""
    if requirement is RelearningRequirement.PRACTICE_ACTIVITY and not has_practice:
        return "Log some relearning first: finish a practice activity."
    if requirement is RelearningRequirement.REFLECTION and not has_reflection:
        return "Log some relearning first: write a reflection on what you relearned."
    if requirement is RelearningRequirement.EITHER and not (has_practice or has_reflection):
        return "Log some relearning first: finish a practice activity or write a reflection."
    return None


def _day(moment: datetime, now: datetime) -> str:
    """'12 March', with the year when it is not the current one; no locale involved."""
    text = f"{moment.day} {_MONTHS[moment.month - 1]}"
    return text if moment.year == now.year else f"{text} {moment.year}"
