from datetime import UTC, datetime, timedelta

import pytest

from lti_pl.domain.errors import InvalidInputError
from lti_pl.domain.evidence import (
    MAX_WINDOW_DAYS,
    EvidenceKind,
    ReassessmentPolicy,
    RelearningRequirement,
    Submission,
    can_request_reassessment,
    safe_filename,
    validate_submission,
)
from lti_pl.domain.targets import DEFAULT_SCALE

MB = 1024 * 1024
ALLOWED = frozenset({"application/pdf", "image/png"})


def submit(
    kind: EvidenceKind,
    *,
    text: str | None = None,
    url: str | None = None,
    filename: str | None = None,
    size: int | None = None,
    content_type: str | None = None,
) -> Submission:
    return validate_submission(
        kind, text, url, filename, size, content_type, max_bytes=10 * MB, allowed_types=ALLOWED
    )


def test_text_evidence_is_trimmed():
    assert submit(EvidenceKind.TEXT, text="  I balanced the equation.  ") == Submission(
        EvidenceKind.TEXT, "I balanced the equation.", None, None
    )


@pytest.mark.parametrize("text", [None, "", "   \n"])
def test_text_evidence_refused_when_empty(text):
    with pytest.raises(InvalidInputError, match="Write something") as error:
        submit(EvidenceKind.TEXT, text=text)
    assert error.value.field == "text"


def test_text_evidence_refused_over_ten_thousand_characters():
    submit(EvidenceKind.TEXT, text="x" * 10_000)
    with pytest.raises(InvalidInputError, match="10,000 characters; it has 10,001") as error:
        submit(EvidenceKind.TEXT, text="x" * 10_001)
    assert error.value.field == "text"


def test_link_evidence_accepts_http_and_https_with_a_note():
    result = submit(EvidenceKind.LINK, url=" https://docs.example.org/x ", text="My slides")
    assert result == Submission(EvidenceKind.LINK, "My slides", "https://docs.example.org/x", None)
    assert submit(EvidenceKind.LINK, url="http://example.org").url == "http://example.org"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        (None, "Paste a link"),
        ("", "Paste a link"),
        ("javascript:alert(1)", "http:// or https://"),
        ("ftp://example.org/file", "http:// or https://"),
        ("https://", "http:// or https://"),
        ("example.org", "http:// or https://"),
        ("https://example.org/" + "a" * 2000, "shorter"),
    ],
    ids=["none", "empty", "javascript", "ftp", "no-host", "no-scheme", "too-long"],
)
def test_link_evidence_refused_unless_http_url(url, message):
    with pytest.raises(InvalidInputError, match=message) as error:
        submit(EvidenceKind.LINK, url=url)
    assert error.value.field == "url"


def test_file_evidence_gets_a_safe_name():
    result = submit(
        EvidenceKind.FILE,
        filename="../../Lab Report é.pdf",
        size=2 * MB,
        content_type="application/pdf",
    )
    assert result.filename == "Lab_Report_e.pdf"
    assert result.text is None


def test_file_content_type_parameters_and_case_ignored():
    result = submit(EvidenceKind.FILE, filename="a.png", size=10, content_type="IMAGE/PNG; x=1")
    assert result.filename == "a.png"


def test_file_evidence_refused_over_the_limit_naming_it_in_mb():
    with pytest.raises(
        InvalidInputError, match=r"That file is 10\.5 MB; the limit is 10 MB\."
    ) as error:
        submit(
            EvidenceKind.FILE, filename="a.pdf", size=int(10.5 * MB), content_type="application/pdf"
        )
    assert error.value.field == "file"


@pytest.mark.parametrize(
    ("filename", "size", "message"),
    [(None, 10, "Choose a file"), (" ", 10, "Choose a file"), ("a.pdf", 0, "empty")],
)
def test_file_evidence_refused_without_name_or_content(filename, size, message):
    with pytest.raises(InvalidInputError, match=message):
        submit(EvidenceKind.FILE, filename=filename, size=size, content_type="application/pdf")


def test_file_evidence_refused_for_type_not_allowed():
    with pytest.raises(InvalidInputError, match="application/zip are not accepted") as error:
        submit(EvidenceKind.FILE, filename="a.zip", size=10, content_type="application/zip")
    assert "application/pdf, image/png" in str(error.value)
    assert error.value.field == "file"


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("report.pdf", "report.pdf"),
        ("C:\\Users\\kid\\essay final.docx", "essay_final.docx"),
        ("/etc/passwd", "passwd"),
        (".htaccess", "htaccess"),
        ("..", "upload"),
        ("", "upload"),
        ("日本語.txt", "txt"),
        ("CON.txt", "_CON.txt"),
        ("a<>:|?*b.png", "a_b.png"),
    ],
)
def test_safe_filename(name, safe):
    assert safe_filename(name) == safe


def test_safe_filename_keeps_extension_when_truncating():
    result = safe_filename("x" * 300 + ".pdf")
    assert len(result) == 100
    assert result.endswith(".pdf")


NOW = datetime(2025, 3, 20, 12, tzinfo=UTC)
LAST = datetime(2025, 3, 5, 9, tzinfo=UTC)
POLICY = ReassessmentPolicy(max_attempts=3, window_days=7, relearning=RelearningRequirement.EITHER)


def decide(policy=POLICY, **overrides):
    arguments = {
        "attempts_so_far": 1,
        "last_assessed_at": LAST,
        "last_score": 2.0,
        "scale": DEFAULT_SCALE,
        "relearning_logged_since_last": True,
        "has_practice_done_since_last": False,
        "pending_request": False,
        "now": LAST + timedelta(days=3),
    } | overrides
    return can_request_reassessment(policy, **arguments)


def test_reassessment_allowed_after_relearning_inside_window():
    decision = decide()
    assert decision.is_allowed
    assert decision.reason == "You can ask for a reassessment (2 of 3 left)."


def test_first_assessment_request_allowed_without_relearning():
    decision = decide(
        attempts_so_far=0,
        last_assessed_at=None,
        last_score=None,
        relearning_logged_since_last=False,
    )
    assert decision.is_allowed
    assert "ready to be assessed" in decision.reason


def test_first_assessment_request_refused_while_one_is_pending():
    decision = decide(last_assessed_at=None, last_score=None, pending_request=True)
    assert not decision.is_allowed
    assert decision.reason == "You already have a request waiting for your teacher."


def test_reassessment_refused_without_relearning():
    decision = decide(relearning_logged_since_last=False, has_practice_done_since_last=False)
    assert not decision.is_allowed
    assert decision.reason == (
        "Log some relearning first: finish a practice activity or write a reflection."
    )


@pytest.mark.parametrize(
    ("requirement", "reflection", "practice", "is_allowed"),
    [
        (RelearningRequirement.NONE, False, False, True),
        (RelearningRequirement.PRACTICE_ACTIVITY, True, False, False),
        (RelearningRequirement.PRACTICE_ACTIVITY, False, True, True),
        (RelearningRequirement.REFLECTION, False, True, False),
        (RelearningRequirement.REFLECTION, True, False, True),
        (RelearningRequirement.EITHER, False, True, True),
        (RelearningRequirement.EITHER, True, False, True),
    ],
)
def test_relearning_requirement(requirement, reflection, practice, is_allowed):
    policy = ReassessmentPolicy(max_attempts=None, window_days=None, relearning=requirement)
    decision = decide(
        policy, relearning_logged_since_last=reflection, has_practice_done_since_last=practice
    )
    assert decision.is_allowed is is_allowed
    if is_allowed:
        assert decision.reason == "You can ask for a reassessment."
    else:
        assert decision.reason.startswith("Log some relearning first")


def test_reassessment_refused_after_all_attempts_used():
    decision = decide(attempts_so_far=3)
    assert not decision.is_allowed
    assert decision.reason == "You have used all 3 reassessments for this target."


def test_reassessment_refused_when_policy_allows_none():
    policy = ReassessmentPolicy(
        max_attempts=0, window_days=None, relearning=RelearningRequirement.NONE
    )
    assert decide(policy, attempts_so_far=0).reason == "This target has no reassessments."


def test_reassessment_refused_after_window_closed():
    decision = decide(now=LAST + timedelta(days=7, seconds=1))
    assert not decision.is_allowed
    assert decision.reason == "The reassessment window closed on 12 March."
    assert decide(now=LAST + timedelta(days=7)).is_allowed


def test_window_close_names_the_year_when_not_this_year():
    decision = decide(now=datetime(2026, 1, 2, tzinfo=UTC))
    assert decision.reason == "The reassessment window closed on 12 March 2025."


def test_reassessment_refused_at_top_of_scale():
    decision = decide(last_score=4.0)
    assert not decision.is_allowed
    assert decision.reason == "You are already at the top of the scale (Exceeds Mastery)."


def test_reassessment_refused_while_one_is_pending():
    assert not decide(pending_request=True).is_allowed


@pytest.mark.parametrize(
    ("max_attempts", "window_days", "field"),
    [(-1, None, "max_attempts"), (None, 0, "window_days")],
)
def test_policy_refused_with_impossible_limits(max_attempts, window_days, field):
    with pytest.raises(InvalidInputError) as error:
        ReassessmentPolicy(max_attempts, window_days, RelearningRequirement.NONE)
    assert error.value.field == field


def test_policy_window_is_refused_past_ten_years():
    # Its end is a date: millions of days overflowed every student page's "closes on ...".
    assert ReassessmentPolicy(None, MAX_WINDOW_DAYS, RelearningRequirement.NONE)
    with pytest.raises(InvalidInputError) as error:
        ReassessmentPolicy(None, MAX_WINDOW_DAYS + 1, RelearningRequirement.NONE)
    assert error.value.field == "window_days"
