"""The OIDC login -> launch round trip at the protocol level, and one test per refusal."""

from __future__ import annotations

import time
from typing import Any

import pytest

from lti_pl.models.courses import Course, Enrollment, Person
from tests.support.platform_emulator import PlatformEmulator, make_rsa_key

# The grade, deep-linking, roster and launch suites run against every platform profile.
pytestmark = pytest.mark.platform_profiles

TOOL = "https://tool.test"


def start_login(client: Any, platform: PlatformEmulator, user_id: str = "user-1") -> dict[str, str]:
    response = client.post("/lti/login", data=platform.login_params(TOOL, user_id=user_id))
    return platform.authorize(platform.login_redirect(response))


def post_launch(client: Any, token: str, state: str) -> Any:
    return client.post("/lti/launch", data={"id_token": token, "state": state})


def test_teacher_launch_lands_on_course_home_and_provisions(client, platform, db_session):
    response = platform.launch(client, role="Instructor", user_id="teacher-1")
    assert response.status_code == 303
    assert "/courses/" in response.headers["Location"]
    assert "/teach/" in response.headers["Location"]
    page = client.get(response.headers["Location"])
    assert page.status_code == 200
    assert "Biology 101" in page.get_data(as_text=True)
    course = db_session.query(Course).one()
    assert course.context_id == "course-1"
    assert course.memberships_url.endswith("/nrps/course-1")
    person = db_session.query(Person).one()
    assert (person.subject, person.name, person.email) == (
        "teacher-1",
        "Pat Teacher",
        "pat@example.edu",
    )
    enrollment = db_session.query(Enrollment).one()
    assert enrollment.role == "teacher"


def test_student_launch_lands_on_student_home(client, platform):
    response = platform.launch(client, role="Learner", user_id="student-1", name="Sam Student")
    assert "/learn/" in response.headers["Location"]
    assert "Student view" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_student_cannot_open_teacher_pages(client, platform):
    response = platform.launch(client, role="Learner", user_id="student-1")
    teacher_url = response.headers["Location"].replace("/learn/", "/teach/")
    assert client.get(teacher_url).status_code == 403


def test_session_is_bound_to_the_launched_course(client, platform):
    response = platform.launch(client, role="Instructor")
    other = response.headers["Location"].replace("/courses/", "/courses/9").split("?")[0]
    assert client.get(other).status_code == 403


def test_the_next_person_on_a_shared_device_does_not_get_the_last_ones_courses(client, platform):
    # A school's iPad cart: Ana opens the tool in her science course, then signs out of the LMS;
    # Ben signs in and opens it in his maths course in the same browser. Ana's science course
    # stayed in the session (a teacher's two course tabs): Ben reached it from the browser's
    # history, as Ana, and could hand in work in her name.
    ana = platform.launch(client, role="Learner", user_id="ana", name="Ana", context_id="science")
    ana_home = ana.headers["Location"].split("?")[0]
    assert client.get(ana_home).status_code == 200
    ben = platform.launch(client, role="Learner", user_id="ben", name="Ben", context_id="maths")
    assert "Student view" in client.get(ben.headers["Location"]).get_data(as_text=True)
    refused = client.get(ana_home)
    assert refused.status_code == 403
    assert "You have not opened this course from your LMS in this browser" in refused.get_data(
        as_text=True
    )


def test_the_same_person_keeps_their_other_course_open(client, platform):
    # A teacher with two course tabs: the second launch must not close the first.
    first = platform.launch(client, role="Instructor", user_id="pat", context_id="period-1")
    platform.launch(client, role="Instructor", user_id="pat", context_id="period-2")
    assert client.get(first.headers["Location"].split("?")[0]).status_code == 200


def test_pages_are_never_stored_so_back_asks_the_tool_again(client, platform):
    # Without Cache-Control a browser keeps the page and shows it again on Back, even to the
    # next student on a shared iPad, whatever the tool would answer them now.
    home = platform.launch(client, role="Learner", user_id="ana").headers["Location"]
    assert client.get(home).headers["Cache-Control"] == "no-store"
    assert client.get("/lti/jwks.json").headers["Cache-Control"] == "public, max-age=300"
    assert "no-store" not in client.get("/static/app.css").headers["Cache-Control"]


def test_login_redirect_carries_oidc_parameters(client, platform):
    query = start_login(client, platform)
    assert query["redirect_uri"] == TOOL + "/lti/launch"
    assert query["login_hint"] == "user-1"
    assert query["lti_message_hint"] == "hint-user-1"
    assert len(query["state"]) >= 32
    assert len(query["nonce"]) >= 32


def test_state_cookie_is_secure_samesite_none_partitioned(client, platform):
    response = client.post("/lti/login", data=platform.login_params(TOOL))
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie
    assert "SameSite=None" in cookie
    assert "Partitioned" in cookie


def launch_with(client: Any, platform: PlatformEmulator, **overrides: Any) -> Any:
    query = start_login(client, platform)
    sign: dict[str, Any] = overrides.pop("_sign", {})
    drop_nonce = "nonce" in overrides and overrides.pop("nonce") is None
    body = platform.claims(nonce=query["nonce"], **overrides)
    if drop_nonce:
        del body["nonce"]
    return post_launch(client, platform.sign(body, **sign), query["state"])


def assert_refused(response: Any, code: str) -> None:
    assert response.status_code == 400, response.get_data(as_text=True)
    page = response.get_data(as_text=True)
    assert f"<code>{code}</code>" in page
    assert "eyJ" not in page  # no token echoed


def test_forged_signature_is_refused(client, platform):
    forger_key, _, _ = make_rsa_key()
    assert_refused(launch_with(client, platform, _sign={"key": forger_key}), "bad_signature")


def test_unknown_kid_is_refused_after_refetching_jwks(client, platform):
    other_key, _, kid = make_rsa_key()
    assert_refused(
        launch_with(client, platform, _sign={"key": other_key, "kid": kid}), "unknown_key"
    )


def test_rotated_platform_key_is_picked_up_by_refetching_jwks(client, platform):
    assert platform.launch(client).status_code == 303  # caches the JWKS
    new_key, jwk, kid = make_rsa_key()
    platform.extra_jwks.append(jwk)
    response = launch_with(client, platform, _sign={"key": new_key, "kid": kid})
    assert response.status_code == 303


def test_expired_token_is_refused(client, platform):
    past = int(time.time()) - 3600
    assert_refused(launch_with(client, platform, exp=past, iat=past - 60), "expired")


def test_token_from_the_future_is_refused(client, platform):
    future = int(time.time()) + 3600
    assert_refused(launch_with(client, platform, iat=future, exp=future + 300), "expired")


def test_small_clock_skew_is_accepted(client, platform):
    skewed = int(time.time()) + 30
    assert launch_with(client, platform, iat=skewed, exp=skewed + 300).status_code == 303


def test_wrong_audience_is_refused(client, platform):
    assert_refused(launch_with(client, platform, aud="another-tool"), "wrong_audience")


def test_multiple_audiences_need_matching_azp(client, platform):
    assert_refused(launch_with(client, platform, aud=[platform.client_id, "x"]), "wrong_audience")
    ok = launch_with(client, platform, aud=[platform.client_id, "x"], azp=platform.client_id)
    assert ok.status_code == 303


def test_unknown_issuer_is_refused_at_login(client, platform):
    params = platform.login_params(TOOL) | {"iss": "https://unknown.example"}
    response = client.post("/lti/login", data=params)
    assert_refused(response, "unknown_issuer")
    assert "lti-pl platforms import" in response.get_data(as_text=True)


def test_unknown_client_id_is_refused_at_login(client, platform):
    response = client.post("/lti/login", data=platform.login_params(TOOL) | {"client_id": "nope"})
    assert_refused(response, "unknown_client")


def test_unknown_deployment_is_refused(client, platform):
    response = launch_with(
        client,
        platform,
        **{"https://purl.imsglobal.org/spec/lti/claim/deployment_id": "not-registered"},
    )
    assert_refused(response, "unknown_deployment")
    assert "lti-pl platforms import" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "claim",
    [
        "https://purl.imsglobal.org/spec/lti/claim/message_type",
        "https://purl.imsglobal.org/spec/lti/claim/version",
        "https://purl.imsglobal.org/spec/lti/claim/resource_link",
        "https://purl.imsglobal.org/spec/lti/claim/deployment_id",
        "sub",
        "nonce",
    ],
    ids=["message_type", "version", "resource_link", "deployment_id", "sub", "nonce"],
)
def test_missing_claims_are_refused(client, platform, claim):
    response = launch_with(client, platform, **{claim: None})
    assert response.status_code == 400
    assert "eyJ" not in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("claim", "value"),
    [
        ("https://purl.imsglobal.org/spec/lti/claim/roles", "Instructor"),
        ("https://purl.imsglobal.org/spec/lti/claim/context", ["not", "a", "dict"]),
        ("https://purl.imsglobal.org/spec/lti/claim/resource_link", "link"),
        ("https://purl.imsglobal.org/spec/lti/claim/version", "1.1"),
        ("https://purl.imsglobal.org/spec/lti/claim/message_type", "LtiSomethingElse"),
        ("https://purl.imsglobal.org/spec/lti-ags/claim/endpoint", 12),
    ],
    ids=["roles-string", "context-list", "link-string", "version", "message-type", "ags-int"],
)
def test_malformed_claims_are_a_400_never_a_500(client, platform, claim, value):
    response = launch_with(client, platform, **{claim: value})
    assert response.status_code in (303, 400, 403)
    if claim.endswith("roles"):
        assert response.status_code == 403
        assert "<code>no_role</code>" in response.get_data(as_text=True)
    if claim.endswith(("version", "message_type", "context", "resource_link")):
        assert response.status_code == 400


def test_replayed_id_token_is_refused(client, platform):
    query = start_login(client, platform)
    token = platform.sign(platform.claims(nonce=query["nonce"]))
    assert post_launch(client, token, query["state"]).status_code == 303
    assert_refused(post_launch(client, token, query["state"]), "replayed")


def test_a_launch_writes_its_nonce_to_the_replay_store_once(app, client, platform, monkeypatch):
    """One replay-store write per launch: Redis's SET NX, or without Redis the database's insert.

    (It was two: the same nonce went to the key-value store again, for the "replayed" reason a
    later replay gets; that reason now reads the replay store itself.)
    """
    from sqlalchemy import event

    from lti_pl.extensions import db

    store = app.extensions["lti_pl"].store
    writes: list[str] = []
    for name in ("set", "add"):
        original = getattr(store, name)

        def recording(key: str, *args: Any, _original: Any = original, **kwargs: Any) -> Any:
            writes.append(key)
            return _original(key, *args, **kwargs)

        monkeypatch.setattr(store, name, recording)

    def before(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("INSERT") and "used_nonce" in statement:
            writes.append("used_nonce row")

    query = start_login(client, platform)
    token = platform.sign(platform.claims(nonce=query["nonce"]))
    del writes[:]  # the login's state
    event.listen(db.engine, "before_cursor_execute", before)
    try:
        assert post_launch(client, token, query["state"]).status_code == 303
    finally:
        event.remove(db.engine, "before_cursor_execute", before)
    # (A first launch also caches the platform's JWKS.)
    assert len([w for w in writes if "nonce" in w]) == 1, writes
    assert_refused(post_launch(client, token, query["state"]), "replayed")


def test_id_token_replayed_into_a_new_login_is_refused(client, platform):
    first = start_login(client, platform)
    token = platform.sign(platform.claims(nonce=first["nonce"]))
    assert post_launch(client, token, first["state"]).status_code == 303
    second = start_login(client, platform)
    assert_refused(post_launch(client, token, second["state"]), "nonce_mismatch")


@pytest.mark.platform_profiles("generic", "moodle")  # Canvas: platform storage is asked first
def test_state_from_another_browser_is_refused(app, client, platform):
    query = start_login(client, platform)
    token = platform.sign(platform.claims(nonce=query["nonce"]))
    other_browser = app.test_client()
    assert_refused(post_launch(other_browser, token, query["state"]), "state_mismatch")


def test_unknown_state_is_refused(client, platform):
    start_login(client, platform)
    token = platform.sign(platform.claims(nonce="whatever"))
    assert_refused(post_launch(client, token, "state-never-issued"), "unknown_state")


@pytest.mark.parametrize(
    "token",
    ["garbage", "a.b.c", "eyJhbGciOiJub25lIn0.e30.", ""],
    ids=["garbage", "abc", "alg-none", "empty"],
)
def test_garbage_token_is_refused(client, platform, token):
    query = start_login(client, platform)
    response = post_launch(client, token, query["state"])
    assert response.status_code == 400


def test_alg_none_and_hs256_are_refused(client, platform):
    query = start_login(client, platform)
    body = platform.claims(nonce=query["nonce"])
    import jwt

    token = jwt.encode(
        body,
        "a-shared-secret-guess-that-is-32-bytes-long!",
        algorithm="HS256",
        headers={"kid": platform.kid},
    )
    assert_refused(post_launch(client, token, query["state"]), "bad_signature")


def test_refusal_is_json_for_api_clients(client, platform):
    params = platform.login_params(TOOL) | {"iss": "https://unknown.example"}
    response = client.post("/lti/login", data=params, headers={"Accept": "application/json"})
    assert response.status_code == 400
    assert response.get_json()["error"] == "unknown_issuer"


def test_login_with_a_foreign_target_link_is_refused(client, platform):
    params = platform.login_params(TOOL) | {"target_link_uri": "https://evil.example/phish"}
    assert_refused(client.post("/lti/login", data=params), "bad_target")


def test_login_missing_parameters_is_refused(client, platform):
    assert_refused(client.post("/lti/login", data={"iss": platform.issuer}), "missing_parameter")


def test_refusals_are_logged_without_tokens(client, platform, caplog):
    forger_key, _, _ = make_rsa_key()
    with caplog.at_level("INFO", logger="lti_pl"):
        launch_with(client, platform, _sign={"key": forger_key})
    assert "launch refused: bad_signature" in caplog.text
    assert "eyJ" not in caplog.text


def test_repeat_launch_reads_once_writes_nothing_and_compiles_nothing(client, platform, db_session):
    """A known student launching again: the nonce, one read of the course rows, no update.

    Every statement comes from SQLAlchemy's compiled cache: a statement that cannot be cached
    (a dialect's insert, say) would be compiled again on every launch.
    """
    from sqlalchemy import event

    from lti_pl.extensions import db

    assert platform.launch(client, role="Learner", user_id="student-9").status_code == 303
    seen: list[tuple[str, str]] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        seen.append((statement.split()[0].upper() + " " + statement[:80], str(context.cache_hit)))

    event.listen(db.engine, "before_cursor_execute", before)
    try:
        assert platform.launch(client, role="Learner", user_id="student-9").status_code == 303
    finally:
        event.remove(db.engine, "before_cursor_execute", before)
    work = [(s, hit) for s, hit in seen if s.split()[0] in {"SELECT", "INSERT", "UPDATE", "DELETE"}]
    inserts = [s for s, _ in work if s.startswith("INSERT")]
    assert all("used_nonce" in s for s in inserts), work  # only the replay store writes
    assert len(inserts) <= 1, work  # none where Redis keeps the nonces
    assert [s for s, _ in work if s.startswith(("UPDATE", "DELETE"))] == [], work
    selects = [s for s, _ in work if s.startswith("SELECT")]
    # With platform storage the login answers with an HTML page, and every HTML page reads the
    # registrations' version once (its frame-ancestors must see an import at once).
    page_reads = [s for s in selects if "platform.updated_at" in s]
    assert len(page_reads) == (1 if platform.profile.platform_storage else 0), work
    assert len(selects) - len(page_reads) == 1, work
    assert all(hit.endswith("CACHE_HIT") for _, hit in work), work


def test_new_student_in_a_known_course_reads_once_and_inserts_person_and_enrollment(
    client, platform, db_session
):
    """A first launch into a course the tool knows: one read of the course rows, two inserts.

    The one read already tells that the person, the enrollment and the link are missing, so none
    is looked up again before its insert, and the enrollment is born with its launch time.
    """
    from sqlalchemy import event

    from lti_pl.extensions import db

    assert platform.launch(client, role="Learner", user_id="student-1").status_code == 303
    seen: list[str] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement.split()[0].upper() + " " + statement[:80])

    event.listen(db.engine, "before_cursor_execute", before)
    try:
        assert platform.launch(client, role="Learner", user_id="student-2").status_code == 303
    finally:
        event.remove(db.engine, "before_cursor_execute", before)
    work = [s for s in seen if s.split()[0] in {"SELECT", "INSERT", "UPDATE", "DELETE"}]
    selects = [s for s in work if s.startswith("SELECT") and "platform.updated_at" not in s]
    assert len(selects) == 1, work
    inserts = [s for s in work if s.startswith("INSERT") and "used_nonce" not in s]
    assert sorted(s.split()[3] for s in inserts) == ["enrollment", "person"], work
    assert [s for s in work if s.startswith(("UPDATE", "DELETE"))] == [], work
    # No savepoint on either database: the person's INSERT ... ON CONFLICT DO NOTHING absorbs a
    # concurrent first launch of the same person, and the enrollment of a person this launch
    # created cannot be anyone else's insert. (The test's own transaction makes savepoints too:
    # look at what precedes each insert.)
    guarded = [
        seen[i - 1].startswith("SAVEPOINT")
        for i, s in enumerate(seen)
        if s.startswith(("INSERT INSERT INTO person", "INSERT INSERT INTO enrollment"))
    ]
    assert guarded == [False, False], seen


def test_new_student_in_a_known_course_needs_no_unit_of_work(client, platform, db_session):
    """The person and the enrollment are one statement each: no ORM flush (it was a flush each,
    and on PostgreSQL a savepoint's flush for the person)."""
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    assert platform.launch(client, role="Learner", user_id="student-1").status_code == 303
    flushed: list[list[str]] = []

    def after_flush(session, context):
        flushed.append(sorted(type(row).__name__ for row in session.new))

    event.listen(Session, "after_flush", after_flush)
    try:
        assert platform.launch(client, role="Learner", user_id="student-2").status_code == 303
    finally:
        event.remove(Session, "after_flush", after_flush)
    assert flushed == [], flushed
    enrollment = db_session.query(Enrollment).join(Person).filter_by(subject="student-2").one()
    assert (enrollment.course.context_id, enrollment.role) == ("course-1", "student")


TARGET = "https://purl.imsglobal.org/spec/lti/claim/target_link_uri"


def test_resource_link_launch_without_target_link_uri_is_refused(client, platform, db_session):
    # LTI 1.3 core §5.4: the claim is required on a resource-link launch.
    response = launch_with(client, platform, **{TARGET: None})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "target_link_uri" in page
    assert db_session.query(Enrollment).count() == 0


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/lti/launch",
        "https://tool.test/teach/anything",
        "https://tool.test:8443/lti/launch",
        "http://tool.test/lti/launch",
        "not a url",
    ],
    ids=["other-host", "other-path", "other-port", "other-scheme", "garbage"],
)
def test_target_link_uri_outside_our_launch_url_is_refused(client, platform, db_session, target):
    response = launch_with(client, platform, **{TARGET: target})
    assert response.status_code == 400
    assert "outside this tool" in response.get_data(as_text=True)
    assert db_session.query(Enrollment).count() == 0


@pytest.mark.parametrize(
    "target",
    [
        "https://tool.test/lti/launch",
        "https://TOOL.test/lti/launch/",
        "https://tool.test/lti/launch?x=1",
    ],
    ids=["exact", "case-and-slash", "query"],
)
def test_target_link_uri_naming_our_launch_url_is_accepted(client, platform, target):
    response = launch_with(client, platform, **{TARGET: target})
    assert response.status_code == 303, response.get_data(as_text=True)
