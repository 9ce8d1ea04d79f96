"""The outbox's decision after a failed attempt (domain.grade_delivery.decide_failure)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from lti_pl.domain.grade_delivery import (
    DeliveryFailure,
    EntryState,
    FailureKind,
    OutboxStatus,
    RetryPolicy,
    decide_failure,
    next_score_time,
)

POLICY = RetryPolicy(base=1.0, cap=8.0, max_attempts=5, lease=60.0, max_restamps=2)


def no_jitter() -> float:
    return 0.0


def state(attempt=1, *, maybe_delivered=False, restamps=0, has_newer=False) -> EntryState:
    return EntryState(attempt, maybe_delivered, restamps, has_newer)


def conflict() -> DeliveryFailure:
    return DeliveryFailure(FailureKind.CONFLICT, "409 older timestamp")


def test_conflict_with_a_newer_score_of_ours_supersedes():
    decision = decide_failure(conflict(), state(has_newer=True), POLICY, no_jitter)
    assert (decision.status, decision.reason) == (OutboxStatus.SUPERSEDED, "409 older timestamp")


def test_conflict_after_an_attempt_that_may_have_arrived_counts_as_sent():
    decision = decide_failure(conflict(), state(maybe_delivered=True), POLICY, no_jitter)
    assert (decision.status, decision.reason) == (OutboxStatus.SENT, "")


def test_conflict_from_a_foreign_timestamp_is_restamped_until_the_limit():
    first = decide_failure(conflict(), state(attempt=3), POLICY, no_jitter)
    assert (first.status, first.restamps, first.needs_restamp) == (OutboxStatus.PENDING, 1, True)
    assert first.wait == 2.0  # base 1 s doubled twice, halved by the jitter floor

    last = decide_failure(conflict(), state(restamps=2), POLICY, no_jitter)
    assert (last.status, last.reason, last.needs_restamp) == (
        OutboxStatus.FAILED,
        "409 older timestamp",
        False,
    )


@pytest.mark.parametrize("ambiguous", [False, True], ids=["refused", "timeout"])
def test_transient_failures_back_off_and_remember_a_possible_delivery(ambiguous):
    failure = DeliveryFailure(FailureKind.TRANSIENT, "503", retry_after=30.0, ambiguous=ambiguous)
    decision = decide_failure(failure, state(attempt=2), POLICY, no_jitter)
    assert (decision.status, decision.wait) == (OutboxStatus.PENDING, 30.0)  # Retry-After wins
    assert decision.maybe_delivered is ambiguous


def test_transient_failure_gives_up_after_the_last_attempt():
    failure = DeliveryFailure(FailureKind.TRANSIENT, "503")
    decision = decide_failure(failure, state(attempt=5), POLICY, no_jitter)
    assert (decision.status, decision.reason) == (
        OutboxStatus.FAILED,
        "Gave up after 5 attempts: 503",
    )


def test_permanent_failure_fails_at_once():
    failure = DeliveryFailure(FailureKind.PERMANENT, "400 bad score")
    decision = decide_failure(failure, state(), POLICY, no_jitter)
    assert (decision.status, decision.reason) == (OutboxStatus.FAILED, "400 bad score")


def test_backoff_doubles_up_to_the_cap_with_equal_jitter():
    waits = [POLICY.delay(n, lambda: 1.0, None) for n in range(1, 7)]
    assert waits == [1.0, 2.0, 4.0, 8.0, 8.0, 8.0]
    assert POLICY.delay(4, lambda: 0.0, None) == 4.0


def test_a_following_score_falls_in_a_later_whole_second():
    first = datetime(2026, 3, 2, 9, 0, 0, 900_000, tzinfo=UTC)
    same_second = datetime(2026, 3, 2, 9, 0, 0, 950_000, tzinfo=UTC)
    later = datetime(2026, 3, 2, 9, 0, 5, 100_000, tzinfo=UTC)
    assert next_score_time(None, same_second) == same_second
    assert next_score_time(first, same_second) == datetime(2026, 3, 2, 9, 0, 1, tzinfo=UTC)
    assert next_score_time(first, later) == later
