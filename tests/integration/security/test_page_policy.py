"""Per-page browser policy: frame-ancestors of the page's platform only, seen at once after an
import by every process; HSTS over TLS; Permissions-Policy; form-action limited to the tool and
the platform's deep-link return URL."""

from __future__ import annotations

import json

from lti_pl import create_app
from tests.conftest import HttpsClient
from tests.security_support import directives
from tests.support.platform_emulator import PlatformEmulator


def test_a_course_page_may_be_framed_only_by_its_own_platform(client, platform, second_platform):
    own = platform.launch(client, role="Instructor", user_id="t-a", context_id="a")
    page = client.get(own.headers["Location"])
    assert page.status_code == 200
    ancestors = directives(page)["frame-ancestors"].split()
    assert platform.url in ancestors
    assert second_platform.url not in ancestors

    other_client = client.application.test_client()
    other = second_platform.launch(other_client, role="Instructor", user_id="t-b", context_id="b")
    ancestors = directives(other_client.get(other.headers["Location"]))["frame-ancestors"].split()
    assert second_platform.url in ancestors
    assert platform.url not in ancestors


def test_an_import_in_another_process_is_seen_by_the_next_page_at_once(
    test_config, db_session, tool_jwks, tmp_path, runner
):
    """Two apps stand for two processes: the CLI's and a server's with a warm cache."""
    server = create_app(test_config)
    server.test_client_class = HttpsClient
    web = server.test_client()
    emulator = PlatformEmulator(tool_jwks=lambda: tool_jwks, client_id="late-client").start()
    try:
        assert emulator.url not in directives(web.get("/"))["frame-ancestors"]  # cache warm
        config = tmp_path / "platform.json"
        config.write_text(json.dumps(emulator.registration()))
        result = runner.invoke(args=["platforms", "import", str(config)])
        assert result.exit_code == 0, result.output
        assert emulator.url in directives(web.get("/"))["frame-ancestors"].split()
    finally:
        emulator.stop()


def test_hsts_only_over_tls(client, db_session):
    assert client.get("/").headers["Strict-Transport-Security"].startswith("max-age=")
    plain = client.get("/", base_url="http://tool.test")
    assert "Strict-Transport-Security" not in plain.headers


def test_permissions_policy_switches_off_unused_features(client, db_session):
    policy = client.get("/").headers["Permissions-Policy"]
    for feature in ("camera=()", "microphone=()", "geolocation=()", "payment=()"):
        assert feature in policy


def test_forms_may_post_only_to_the_tool_by_default(client, platform):
    assert directives(client.get("/"))["form-action"] == "'self'"


def test_the_deep_link_return_page_may_post_to_the_platforms_return_url_only(client, platform):
    from tests.integration.deep_linking.test_deep_linking import add_targets, dl_launch

    course_id = dl_launch(client, platform)
    (target,) = add_targets(course_id, "I can add")
    page = client.post(
        f"/courses/{course_id}/teach/deep-link",
        data={"kind": "targets", "target_ids": [target.id], "mode": "aggregate", "title": "U1"},
    )
    assert page.status_code == 200, page.get_data(as_text=True)
    assert "deep-link-return" in page.get_data(as_text=True)
    assert directives(page)["form-action"].split() == ["'self'", platform.url]


class Clock:
    """A monotonic clock the test moves."""

    now = 1000.0

    def __call__(self) -> float:
        return self.now


def frozen_origins(app, clock):
    """The app's frame-ancestors cache as shipped (once a second on course pages), on `clock`."""
    from lti_pl.web import PlatformOrigins

    app.extensions["lti_pl_frame_ancestors"] = PlatformOrigins(
        on_change=app.extensions["lti_pl"].registrations.clear,
        course_recheck_seconds=1.0,
        clock=clock,
    )


def test_a_course_page_reads_the_platforms_version_at_most_once_a_second(app, client, platform):
    """Under a class's load the version is not read on every page: a course's pages read it at
    most once a second per process (the shipped LTI_PL_ORIGINS_RECHECK_SECONDS), pages outside a
    course every time, and the origins stay the course platform's in between."""
    from tests.support.queries import count_queries

    clock = Clock()
    assert create_app({"TESTING": True}).config["LTI_PL_ORIGINS_RECHECK_SECONDS"] == 1.0
    frozen_origins(app, clock)
    home = platform.launch(client, role="Learner", user_id="s-1").headers["Location"]

    def version_reads(url: str) -> tuple[int, list[str]]:
        with count_queries() as statements:
            page = client.get(url)
        assert page.status_code == 200
        reads = sum("platform.updated_at" in s for s in statements)
        return reads, directives(page)["frame-ancestors"].split()

    assert version_reads(home) == (1, ["'self'", platform.url])
    clock.now += 0.5
    assert version_reads(home) == (0, ["'self'", platform.url])  # read 0.5 s ago
    assert version_reads("/")[0] == 1  # outside a course: every time
    clock.now += 1.1
    assert version_reads(home)[0] == 1


def test_the_first_page_of_a_platform_registered_a_moment_ago_may_be_framed_by_it(
    app, client, platform, tool_jwks, db_session
):
    """A course of a platform the cache has not seen yet reads the registrations at once: its
    first page must not refuse its LMS's frame for a second (the browser would show nothing)."""
    from lti_pl.services.platforms import import_registrations

    clock = Clock()
    frozen_origins(app, clock)
    home = platform.launch(client, role="Learner", user_id="s-1").headers["Location"]
    assert platform.url in directives(client.get(home))["frame-ancestors"].split()
    late = PlatformEmulator(tool_jwks=lambda: tool_jwks, client_id="late-client").start()
    try:
        with app.app_context():
            import_registrations(late.registration())
            db_session.commit()
        app.extensions["lti_pl"].registrations.clear()
        clock.now += 0.2  # within the second: the version was read a moment ago
        other = app.test_client()
        page = other.get(late.launch(other, role="Learner", user_id="s-2").headers["Location"])
        assert page.status_code == 200
        assert late.url in directives(page)["frame-ancestors"].split()
    finally:
        late.stop()
