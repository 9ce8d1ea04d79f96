from hypothesis import given
from hypothesis import strategies as st

from lti_pl.domain.choice_boards import (
    ActivityStatus,
    ActivityView,
    Modality,
    Readiness,
    Requirement,
)
from lti_pl.domain.profiles import LearningProfile, StructureDial
from lti_pl.domain.recommendations import (
    READINESS_MATCH_WEIGHT,
    RECOMMENDED_COUNT,
    Recommendation,
    rank_activities,
    why,
)
from lti_pl.domain.targets import DEFAULT_SCALE


def activity(
    id_: int,
    readiness: Readiness = Readiness.PRACTICE,
    modality: Modality = Modality.READ,
    interests: frozenset[str] = frozenset(),
    requirement: Requirement = Requirement.MAY_DO,
    position: int | None = None,
) -> ActivityView:
    return ActivityView(
        id=id_,
        title=f"Activity {id_}",
        modality=modality,
        interests=interests,
        readiness=readiness,
        minutes=15,
        station=None,
        requirement=requirement,
        position=id_ if position is None else position,
    )


BOARD = [
    activity(1, Readiness.PRACTICE, Modality.READ, requirement=Requirement.MUST_DO),
    activity(2, Readiness.RETEACH, Modality.WATCH, frozenset({"football"})),
    activity(3, Readiness.PRACTICE, Modality.CREATE, frozenset({"drawing"})),
    activity(4, Readiness.EXTENSION, Modality.DISCUSS, frozenset({"music"})),
    activity(5, Readiness.EXTENSION, Modality.CREATE, frozenset({"drawing", "music"})),
    activity(6, Readiness.PRACTICE, Modality.LISTEN, frozenset({"music"})),
]


def rank(
    activities=BOARD,
    *,
    profile=None,
    level_points=None,
    statuses=None,
    dial=StructureDial.FREE,
    assigned_ids=frozenset(),
) -> list[Recommendation]:
    return rank_activities(
        activities,
        profile=profile or LearningProfile(),
        level_points=level_points,
        scale=DEFAULT_SCALE,
        statuses=statuses or {},
        dial=dial,
        assigned_ids=assigned_ids,
    )


def ids(recommendations: list[Recommendation]) -> list[int]:
    return [r.activity.id for r in recommendations]


def by_id(recommendations: list[Recommendation], id_: int) -> Recommendation:
    return next(r for r in recommendations if r.activity.id == id_)


def test_must_dos_come_first_with_their_reason():
    ranked = rank()
    assert ranked[0].activity.id == 1
    assert ranked[0].reasons[0] == "Must-do on this board"
    assert not ranked[0].is_recommended


def test_readiness_match_outweighs_interest_and_modality():
    profile = LearningProfile(
        interests=frozenset({"football"}), modalities=frozenset({Modality.WATCH})
    )
    ranked = rank(profile=profile, level_points=3.2)
    # 2 matches interest and modality (2.0) but is reteach; 4 and 5 are extensions (3.0, a tie
    # broken by position).
    assert ids(ranked)[1:3] == [4, 5]
    assert by_id(ranked, 5).score == READINESS_MATCH_WEIGHT
    assert by_id(ranked, 2).score == 2.0


def test_readiness_reason_names_the_level():
    ranked = rank(level_points=2.5)
    assert "You are at Near Mastery and this is practice" in by_id(ranked, 3).reasons
    assert not any(r.startswith("You are at") for r in by_id(ranked, 2).reasons)


def test_no_evidence_skips_readiness():
    ranked = rank(level_points=None)
    assert all(r.score == 0 for r in ranked)
    # Ties fall back to the teacher's order.
    assert ids(ranked) == [1, 2, 3, 4, 5, 6]
    assert not any(r.is_recommended for r in ranked)


def test_done_activities_go_last_and_are_not_recommended():
    statuses = {3: ActivityStatus.DONE, 1: ActivityStatus.DONE}
    ranked = rank(level_points=2.5, statuses=statuses)
    assert ids(ranked)[0] == 1  # a done must-do still comes before may-dos
    assert ids(ranked)[-1] == 3
    assert "You have done this" in by_id(ranked, 3).reasons
    assert not by_id(ranked, 3).is_recommended


def test_started_activity_gets_a_nudge():
    ranked = rank(level_points=2.5, statuses={6: ActivityStatus.IN_PROGRESS})
    assert ids(ranked)[1] == 6
    assert "You have started this" in by_id(ranked, 6).reasons


def test_free_dial_flags_top_three_fits_and_locks_nothing():
    profile = LearningProfile(interests=frozenset({"music"}))
    ranked = rank(profile=profile, level_points=3.5)
    assert [r.activity.id for r in ranked if r.is_recommended] == [4, 5, 6]
    assert [r.score for r in ranked if r.is_recommended] == [4.0, 4.0, 2.0]
    assert sum(r.is_recommended for r in ranked) == RECOMMENDED_COUNT
    assert not any(r.is_locked for r in ranked)


def test_guided_dial_puts_recommended_first_then_teacher_order():
    profile = LearningProfile(interests=frozenset({"drawing"}))
    guided = rank(profile=profile, level_points=2.5, dial=StructureDial.GUIDED)
    recommended = [r.activity.id for r in guided if r.is_recommended]
    assert recommended == [3, 6, 5]
    assert ids(guided) == [1, 3, 6, 5, 2, 4]
    assert not any(r.is_locked for r in guided)


def test_guided_rest_follows_position_not_score():
    profile = LearningProfile(modalities=frozenset({Modality.DISCUSS, Modality.WATCH}))
    board = [
        *BOARD,
        activity(7, Readiness.PRACTICE, Modality.READ),
        activity(8, Readiness.PRACTICE, Modality.READ),
    ]
    guided = rank(board, profile=profile, level_points=2.5, dial=StructureDial.GUIDED)
    free = rank(board, profile=profile, level_points=2.5, dial=StructureDial.FREE)
    assert ids(guided) == [1, 3, 6, 7, 2, 4, 5, 8]
    assert ids(free) == [1, 3, 6, 7, 8, 2, 4, 5]


def test_assigned_dial_locks_unassigned_and_ranks_assigned_first():
    ranked = rank(level_points=2.5, dial=StructureDial.ASSIGNED, assigned_ids=frozenset({1, 4, 6}))
    assert ids(ranked)[:3] == [1, 6, 4]
    assert [r.is_locked for r in ranked] == [False, False, False, True, True, True]
    assert "Your teacher assigned this" in by_id(ranked, 4).reasons
    assert "Your teacher has not assigned this to you yet" in by_id(ranked, 3).reasons
    assert not any(r.is_recommended for r in ranked if r.is_locked)


def test_three_profiles_get_different_rankings_and_reasons():
    artist = LearningProfile(
        interests=frozenset({"drawing"}), modalities=frozenset({Modality.CREATE})
    )
    athlete = LearningProfile(
        interests=frozenset({"football"}), modalities=frozenset({Modality.WATCH})
    )
    musician = LearningProfile(
        interests=frozenset({"music"}), modalities=frozenset({Modality.LISTEN})
    )
    rankings = {
        "artist": rank(profile=artist, level_points=2.5),
        "athlete": rank(profile=athlete, level_points=1.0),
        "musician": rank(profile=musician, level_points=3.5),
    }
    orders = {name: tuple(ids(r)) for name, r in rankings.items()}
    assert len(set(orders.values())) == 3
    assert orders["artist"][:2] == (1, 3)
    assert orders["athlete"][:2] == (1, 2)
    assert orders["musician"][:2] == (1, 4)
    tops = {name: rankings[name][1].reasons for name in rankings}
    assert tops["artist"] == (
        "You are at Near Mastery and this is practice",
        "You like drawing",
        "You prefer to create",
    )
    assert tops["athlete"] == (
        "You are at Below Mastery and this is reteaching",
        "You like football",
        "You prefer to watch",
    )
    assert tops["musician"] == ("You are at Mastery and this is an extension", "You like music")


def test_why_joins_reasons_into_one_line():
    def rec(*reasons: str) -> Recommendation:
        return Recommendation(BOARD[1], 0.0, reasons, is_recommended=False, is_locked=False)

    assert why(rec("You like drawing")) == "You like drawing."
    assert why(rec("You like drawing", "You prefer to watch")) == (
        "You like drawing and prefer to watch."
    )
    assert (
        why(
            rec(
                "Must-do on this board",
                "You are at Near Mastery and this is practice",
                "You like drawing",
            )
        )
        == "Must-do on this board. "
        "You are at Near Mastery and this is practice, and you like drawing."
    )
    assert why(
        rec(
            "You are at Near Mastery and this is practice",
            "You like drawing",
            "You prefer to watch",
        )
    ) == ("You are at Near Mastery and this is practice, and you like drawing and prefer to watch.")
    assert why(rec()) == "Pick this one if it looks interesting."


@st.composite
def boards(draw):
    count = draw(st.integers(min_value=0, max_value=12))
    activities = [
        ActivityView(
            id=i,
            title=f"A{i}",
            modality=draw(st.sampled_from(Modality)),
            interests=draw(st.frozensets(st.sampled_from(["drawing", "music", "football"]))),
            readiness=draw(st.sampled_from(Readiness)),
            minutes=10,
            station=None,
            requirement=draw(st.sampled_from(Requirement)),
            position=draw(st.integers(min_value=0, max_value=5)),
        )
        for i in range(count)
    ]
    statuses = {a.id: draw(st.sampled_from(ActivityStatus)) for a in activities}
    return activities, statuses


profiles = st.builds(
    LearningProfile,
    interests=st.frozensets(st.sampled_from(["drawing", "music", "football", "chess"])),
    modalities=st.frozensets(st.sampled_from(Modality)),
)
levels = st.one_of(st.none(), st.floats(min_value=0, max_value=4))


@given(
    boards(), profiles, levels, st.sampled_from(StructureDial), st.frozensets(st.integers(0, 12))
)
def test_ranking_is_a_permutation_of_the_board(board, profile, level, dial, assigned):
    activities, statuses = board
    ranked = rank(
        activities,
        profile=profile,
        level_points=level,
        statuses=statuses,
        dial=dial,
        assigned_ids=assigned,
    )
    assert sorted(ids(ranked)) == sorted(a.id for a in activities)
    assert sum(r.is_recommended for r in ranked) <= RECOMMENDED_COUNT


@given(boards(), profiles, levels, st.sampled_from([StructureDial.FREE, StructureDial.GUIDED]))
def test_must_dos_precede_may_dos_when_not_assigned(board, profile, level, dial):
    activities, statuses = board
    ranked = rank(activities, profile=profile, level_points=level, statuses=statuses, dial=dial)
    requirements = [r.activity.requirement for r in ranked]
    assert requirements == sorted(requirements, key=lambda q: q is Requirement.MAY_DO)
    assert not any(r.is_locked for r in ranked)
    done_may = [
        i
        for i, r in enumerate(ranked)
        if not r.activity.is_must_do and statuses[r.activity.id] is ActivityStatus.DONE
    ]
    assert done_may == list(range(len(ranked) - len(done_may), len(ranked)))


@given(boards(), profiles, levels, st.frozensets(st.integers(0, 12)))
def test_assigned_dial_locks_exactly_the_unassigned(board, profile, level, assigned):
    activities, statuses = board
    ranked = rank(
        activities,
        profile=profile,
        level_points=level,
        statuses=statuses,
        dial=StructureDial.ASSIGNED,
        assigned_ids=assigned,
    )
    assert [r.is_locked for r in ranked] == [r.activity.id not in assigned for r in ranked]
    locks = [r.is_locked for r in ranked]
    assert locks == sorted(locks)
