"""Activity files follow the database: a file goes from disk only when the change that dropped it
commits, a file written by a request that fails is not left behind, and deleting an activity or a
whole board deletes its files (unless a copy of the board still uses them)."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import request
from sqlalchemy import func, select

from lti_pl.extensions import db
from lti_pl.models.choice_boards import Activity, ActivityProgress, ChoiceBoard
from lti_pl.services.choice_boards import activity_files_folder
from tests.integration.choice_boards.test_activity_files import (
    FIELDS,
    PDF,
    files_in,
    post_activity,
)
from tests.support.builders import (
    T0,
    make_course,
    make_enrollment,
    make_student,
    make_teacher,
    sign_in,
)
from tests.support.choice_builders import make_board

TXT = b"plain notes for the activity"


@pytest.fixture
def failing(app) -> set[str]:
    """Path ends whose POSTs fail after their view has run (as a late error would).

    The view's service has flushed by then; the request's commit hook sees the 500 and rolls
    back. Registered last, this hook runs before the commit hook; Flask accepts hooks only
    before the first request, so tests add path ends to the returned set instead.
    """
    path_ends: set[str] = set()

    @app.after_request
    def _fail_late(response):
        if request.method == "POST" and request.path.endswith(tuple(path_ends)):
            return app.response_class("failed after the view", status=500)
        return response

    return path_ends


def stored_file(app, stored_name: str) -> Path:
    return Path(activity_files_folder(app.config["LTI_PL_UPLOAD_FOLDER"])) / stored_name


def board_with_files(app, client, course, count: int = 2) -> tuple[ChoiceBoard, list[Activity]]:
    """A published board ("choose 1") with `count` may-do activities, each with its own file."""
    board = make_board(course, choose_n=1)
    for index in range(count):
        answer = post_activity(client, board, f"handout-{index}.pdf", PDF)
        assert answer.status_code == 303, answer.get_data(as_text=True)
    db.session.expire_all()
    activities = list(db.session.get(ChoiceBoard, board.id).activities)
    assert all(stored_file(app, a.stored_name).is_file() for a in activities)
    return board, activities


def board_url(board: ChoiceBoard) -> str:
    return f"/courses/{board.course_id}/teach/boards/{board.id}"


def file_url(course_id: int, activity_id: int) -> str:
    return f"/courses/{course_id}/learn/activities/{activity_id}/file"


# ------------------------------------------------------------------------- deleting an activity
def test_a_committed_activity_delete_deletes_its_file(app, client, db_session):
    course = make_course()
    sign_in(client, make_teacher(course))
    board, (kept, removed) = board_with_files(app, client, course)

    answer = client.post(f"{board_url(board)}/activities/{removed.id}/delete")

    assert answer.status_code == 303, answer.get_data(as_text=True)
    assert db.session.get(Activity, removed.id) is None
    assert not stored_file(app, removed.stored_name).exists()
    assert stored_file(app, kept.stored_name).is_file()


def test_an_activity_delete_that_fails_later_keeps_the_row_and_the_file(
    app, client, db_session, failing
):
    failing.add("/delete")
    course = make_course()
    sign_in(client, make_teacher(course))
    board, (_, removed) = board_with_files(app, client, course)

    answer = client.post(f"{board_url(board)}/activities/{removed.id}/delete")

    assert answer.status_code == 500
    db.session.expire_all()
    assert db.session.get(Activity, removed.id) is not None
    assert stored_file(app, removed.stored_name).is_file()
    student = sign_in(app.test_client(), make_student(course))
    assert student.get(file_url(course.id, removed.id)).data == PDF


def test_an_activity_delete_refused_by_a_board_rule_keeps_the_file(app, client, db_session):
    course = make_course()
    sign_in(client, make_teacher(course))
    board, (only,) = board_with_files(app, client, course, count=1)  # "choose 1" needs it

    answer = client.post(f"{board_url(board)}/activities/{only.id}/delete")

    assert answer.status_code == 422
    db.session.expire_all()
    assert db.session.get(Activity, only.id) is not None
    assert stored_file(app, only.stored_name).is_file()


# --------------------------------------------------------------------- replacing and uploading
def test_a_replacement_in_a_request_that_fails_keeps_the_old_file_and_drops_the_new(
    app, client, db_session, failing
):
    course = make_course()
    sign_in(client, make_teacher(course))
    board, (activity, _) = board_with_files(app, client, course)
    failing.add(f"/activities/{activity.id}")
    before = files_in(app)

    answer = post_activity(client, board, "replacement.txt", TXT, activity.id)

    assert answer.status_code == 500
    db.session.expire_all()
    assert db.session.get(Activity, activity.id).stored_name == activity.stored_name
    assert stored_file(app, activity.stored_name).read_bytes() == PDF
    assert files_in(app) == before  # the replacement's file is not left behind


def test_removing_the_file_in_a_request_that_fails_keeps_it(app, client, db_session, failing):
    course = make_course()
    sign_in(client, make_teacher(course))
    board, (activity, _) = board_with_files(app, client, course)
    failing.add(f"/activities/{activity.id}")

    answer = client.post(
        f"{board_url(board)}/activities/{activity.id}", data={**FIELDS, "remove_file": "1"}
    )

    assert answer.status_code == 500
    db.session.expire_all()
    assert db.session.get(Activity, activity.id).stored_name == activity.stored_name
    assert stored_file(app, activity.stored_name).read_bytes() == PDF


def test_a_new_activity_in_a_request_that_fails_leaves_no_file(app, client, db_session, failing):
    failing.add("/activities")
    course = make_course()
    board = make_board(course, choose_n=1)
    sign_in(client, make_teacher(course))
    before = files_in(app)

    answer = post_activity(client, board, "handout.pdf", PDF)

    assert answer.status_code == 500
    db.session.expire_all()
    count = select(func.count(Activity.id)).where(Activity.board_id == board.id)
    assert db.session.scalar(count) == 0
    assert files_in(app) == before


# ------------------------------------------------------------------------- deleting a board
def test_deleting_a_board_deletes_its_activities_progress_and_files(app, client, db_session):
    course = make_course()
    sign_in(client, make_teacher(course))
    board, activities = board_with_files(app, client, course)
    student = make_student(course)
    db.session.add(
        ActivityProgress(
            enrollment_id=student.id, activity_id=activities[0].id, status="done", updated_at=T0
        )
    )
    db.session.commit()

    answer = client.post(f"{board_url(board)}/delete", data={"confirm": "1"})

    assert answer.status_code == 303, answer.get_data(as_text=True)
    assert answer.headers["Location"].endswith(f"/courses/{course.id}/teach/boards")
    db.session.expire_all()
    assert db.session.get(ChoiceBoard, board.id) is None
    ids = [a.id for a in activities]
    assert db.session.scalars(select(Activity).where(Activity.id.in_(ids))).all() == []
    assert db.session.scalars(select(ActivityProgress)).all() == []
    assert not any(stored_file(app, a.stored_name).exists() for a in activities)
    learner = sign_in(app.test_client(), student)
    assert learner.get(file_url(course.id, ids[0])).status_code == 404


def test_a_board_delete_that_fails_later_keeps_everything(app, client, db_session, failing):
    failing.add("/delete")
    course = make_course()
    sign_in(client, make_teacher(course))
    board, activities = board_with_files(app, client, course)

    answer = client.post(f"{board_url(board)}/delete", data={"confirm": "1"})

    assert answer.status_code == 500
    db.session.expire_all()
    assert len(db.session.get(ChoiceBoard, board.id).activities) == len(activities)
    assert all(stored_file(app, a.stored_name).read_bytes() == PDF for a in activities)


def test_deleting_a_board_needs_the_confirmation(app, client, db_session):
    course = make_course()
    sign_in(client, make_teacher(course))
    board, (activity, _) = board_with_files(app, client, course)

    answer = client.post(f"{board_url(board)}/delete", data={})

    assert answer.status_code == 422
    assert "Tick the box to confirm" in answer.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(ChoiceBoard, board.id) is not None
    assert stored_file(app, activity.stored_name).is_file()


def board_and_its_copy(app, client):
    """A teacher's board with files, copied into its course: (course, board, its first activity,
    the answer to the copy)."""
    course = make_course()
    sign_in(client, make_teacher(course))
    board, (activity, _) = board_with_files(app, client, course)
    copied = client.post(f"{board_url(board)}/duplicate", data={"to_course_id": str(course.id)})
    assert copied.status_code == 303
    return course, board, activity, copied


def test_a_copy_keeps_the_files_it_shares_until_the_last_board_goes(app, client, db_session):
    course, board, activity, copied = board_and_its_copy(app, client)
    copy_id = int(copied.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    copy = db.session.get(ChoiceBoard, copy_id)
    assert copy.activities[0].stored_name == activity.stored_name

    assert client.post(f"{board_url(board)}/delete", data={"confirm": "1"}).status_code == 303
    assert stored_file(app, activity.stored_name).read_bytes() == PDF
    assert client.get(file_url(course.id, copy.activities[0].id)).data == PDF

    assert client.post(f"{board_url(copy)}/delete", data={"confirm": "1"}).status_code == 303
    assert not stored_file(app, activity.stored_name).exists()


def test_deleting_an_activity_keeps_a_file_its_copy_uses(app, client, db_session):
    _course, board, activity, _copied = board_and_its_copy(app, client)

    answer = client.post(f"{board_url(board)}/activities/{activity.id}/delete")

    assert answer.status_code == 303
    assert stored_file(app, activity.stored_name).read_bytes() == PDF


# ------------------------------------------------------------------------------ who downloads
@pytest.mark.parametrize(
    ("who", "is_published", "expected"),
    [
        ("teacher", True, 200),
        ("teacher", False, 200),
        ("student", True, 200),
        ("student", False, 404),
        ("observer", True, 200),
        ("observer", False, 404),
        ("teacher of another course", True, 404),
        ("student of another course", True, 404),
        ("student of another course, asking in this course", True, 403),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_an_activity_file_reaches_only_members_of_its_course(
    app, client, db_session, who, is_published, expected
):
    course = make_course()
    sign_in(client, make_teacher(course))
    board, (activity, _) = board_with_files(app, client, course)
    if not is_published:
        db.session.get(ChoiceBoard, board.id).is_published = False
        db.session.commit()
    role = who.split(" ")[0]
    in_course = "another course" not in who
    actor = make_enrollment(course if in_course else make_course(), role)
    url_course = course.id if in_course or "asking in this course" in who else actor.course_id

    answer = sign_in(app.test_client(), actor).get(file_url(url_course, activity.id))

    assert answer.status_code == expected
    assert (answer.data == PDF) is (expected == 200)


def test_a_student_on_the_assigned_dial_gets_only_assigned_activity_files(app, client, db_session):
    from lti_pl.models.choice_boards import ActivityAssignment

    course = make_course()
    teacher = make_teacher(course)
    sign_in(client, teacher)
    _board, (assigned, other) = board_with_files(app, client, course)
    student = make_student(course, structure="assigned")
    db.session.add(ActivityAssignment(enrollment_id=student.id, activity_id=assigned.id))
    db.session.commit()
    browser = sign_in(app.test_client(), student)

    assert browser.get(file_url(course.id, assigned.id)).data == PDF
    refused = browser.get(file_url(course.id, other.id))
    assert refused.status_code == 403
    assert "not assigned this activity to you" in refused.get_data(as_text=True)

    free = sign_in(app.test_client(), make_student(course))  # the course's default dial
    assert free.get(file_url(course.id, other.id)).data == PDF
