"""With LTI_PL_LAUNCH_RENDERS_HOME the launch answers with the role's course home itself (issue 17):
one round trip, the page naming its own GET URL, and a re-POST of the id_token refused readably."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.platform_emulator import PlatformEmulator

TOOL = "https://tool.test"


@pytest.fixture
def renders_home(app: Any) -> None:
    app.config["LTI_PL_LAUNCH_RENDERS_HOME"] = True


def login(client: Any, platform: PlatformEmulator, user_id: str) -> dict[str, str]:
    response = client.post("/lti/login", data=platform.login_params(TOOL, user_id=user_id))
    return platform.authorize(platform.login_redirect(response))


@pytest.mark.usefixtures("renders_home")
def test_teacher_launch_renders_the_teacher_home_in_one_round_trip(client, platform):
    response = platform.launch(client, role="Instructor", user_id="teacher-1")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Biology 101" in page
    own_url = response.headers["Content-Location"]
    assert "/teach/" in own_url
    assert f'<meta name="lti-pl-page-url" content="{own_url}' in page.replace("&amp;", "&")
    assert response.headers["Cache-Control"] == "no-store"
    assert client.get(own_url).status_code == 200  # the session the launch set opens it


@pytest.mark.usefixtures("renders_home")
def test_student_launch_renders_the_student_home(client, platform):
    response = platform.launch(client, role="Learner", user_id="student-1")
    assert response.status_code == 200
    assert "Student view" in response.get_data(as_text=True)
    assert "/learn/" in response.headers["Content-Location"]


@pytest.mark.usefixtures("renders_home")
def test_reposting_the_launch_is_a_readable_refusal(client, platform):
    query = login(client, platform, "student-2")
    token = platform.sign(platform.claims(nonce=query["nonce"], user_id="student-2"))
    form = {"id_token": token, "state": query["state"]}
    assert client.post("/lti/launch", data=form).status_code == 200
    again = client.post("/lti/launch", data=form)  # a reload of the POST
    assert again.status_code == 400
    page = again.get_data(as_text=True)
    assert "<code>replayed</code>" in page
    assert "eyJ" not in page  # no token echoed


def test_the_shipped_default_renders_the_home(app, client, platform):
    app.config["LTI_PL_LAUNCH_RENDERS_HOME"] = None  # not configured: as `lti-pl serve` ships
    app.config["TESTING"] = False
    response = platform.launch(client, role="Learner", user_id="student-3")
    assert response.status_code == 200
    assert "Student view" in response.get_data(as_text=True)


@pytest.mark.usefixtures("renders_home")
def test_repeat_launch_with_the_home_reads_a_known_set_and_writes_only_the_nonce(client, platform):
    """The repeat launch's one SELECT of the course rows, plus what the student home reads."""
    from sqlalchemy import event

    from lti_pl.extensions import db

    assert platform.launch(client, role="Learner", user_id="student-9").status_code == 200
    seen: list[str] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement.split()[0].upper() + " " + statement[:70].replace("\n", " "))

    event.listen(db.engine, "before_cursor_execute", before)
    try:
        assert platform.launch(client, role="Learner", user_id="student-9").status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", before)
    inserts = [s for s in seen if s.startswith("INSERT")]
    assert all("used_nonce" in s for s in inserts), seen
    assert [s for s in seen if s.startswith(("UPDATE", "DELETE"))] == [], seen
    selects = [s for s in seen if s.startswith("SELECT")]
    assert len(selects) == EXPECTED_SELECTS, selects


# The course rows (the launch's one read), the targets with the student's mastery records, the
# course's running station rotation ("where am I now") and the platforms' version
# (frame-ancestors). The enrollment and its course are the rows the launch just read or wrote:
# the page does not read them again (it was 7: both again, the course lazily, records apart).
EXPECTED_SELECTS = 4


@pytest.mark.usefixtures("renders_home")
def test_the_launch_commits_its_writes_before_the_home_renders(app, client, platform, monkeypatch):
    """The page renders after the commit (outside SQLite's write lock): it may only read."""
    from datetime import UTC, datetime

    from lti_pl import WriteInReadingRequestError
    from lti_pl.extensions import db
    from lti_pl.models.platforms import UsedNonce

    home = app.view_functions["student.home"]

    def home_that_writes(**kwargs: Any) -> Any:
        db.session.add(UsedNonce(issuer="x", nonce="during-render", expires_at=datetime.now(UTC)))
        db.session.flush()
        return home(**kwargs)

    monkeypatch.setitem(app.view_functions, "student.home", home_that_writes)
    with pytest.raises(WriteInReadingRequestError, match=r"student\.home"):
        platform.launch(client, role="Learner", user_id="student-10")
