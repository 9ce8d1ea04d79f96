"""Scores per second and token requests per 1,000 scores: the outbox vs a token per call.

Run: `.venv/bin/python -m bench.grades [--scores 1000]`. Starts the platform emulator from
tests.support.platform_emulator on 127.0.0.1 and a throwaway SQLite database.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from lti_pl import create_app
from lti_pl.extensions import db
from lti_pl.lti import keys
from lti_pl.lti.ags import ALL_SCOPES, AgsClient, Score
from lti_pl.lti.service_connector import LtiServiceConnector, TimeoutSession
from lti_pl.lti.tool_config import RegistrationRecord
from lti_pl.models.courses import Course, Enrollment, Person
from lti_pl.models.grades import LineItem
from lti_pl.models.platforms import Deployment, Platform
from lti_pl.services import grades
from lti_pl.services.platforms import import_registrations
from lti_pl.stores import MemoryStore
from tests.support.grades import queue_final_score
from tests.support.platform_emulator import PlatformEmulator


class NaiveConnector(LtiServiceConnector):
    """pylti1p3's stock behaviour: no token cache, so every call asks for a token."""

    def _get_cached_access_token(self, scope_key: str) -> str | None:
        return None

    def _cache_access_token(self, scope_key: str, access_token: str, expires_in: float) -> None:
        return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scores", type=int, default=1000)
    args = parser.parse_args()
    n = args.scores
    folder = Path(tempfile.mkdtemp(prefix="lti_pl_bench_"))
    app = create_app(
        {
            "TESTING": False,
            "SECRET_KEY": "bench",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'bench.sqlite3'}",
            "LTI_PL_BASE_URL": "https://tool.bench",
            "LTI_PL_INSTANCE_PATH": str(folder),
            "LTI_PL_HTTP_TIMEOUT": 5.0,
        }
    )
    with app.app_context():
        db.create_all()
        now = datetime.now(UTC)
        keys.ensure_key(now)
        db.session.commit()
        jwks = keys.public_jwks(now, timedelta(days=1))
        platform = PlatformEmulator(tool_jwks=lambda: jwks).start()
        platform.moodle_409 = True
        try:
            import_registrations(platform.registration())
            row = db.session.scalars(db.select(Platform)).one()
            deployment = db.session.scalars(db.select(Deployment)).one()
            course = Course(
                platform_id=row.id,
                deployment_id=deployment.id,
                context_id="course-1",
                title="Bench",
                method_params={},
                ags_scopes=list(ALL_SCOPES),
            )
            db.session.add(course)
            db.session.flush()
            platform.add_context("course-1")
            people = [Person(issuer=platform.issuer, subject=f"s{i}") for i in range(n)]
            db.session.add_all(people)
            db.session.flush()
            students = [
                Enrollment(course_id=course.id, person_id=p.id, role="student") for p in people
            ]
            db.session.add_all(students)
            items = []
            for label in ("outbox", "naive"):
                url = f"{platform.url}/ags/course-1/lineitems/{label}"
                platform.put_line_item(url, label, context_id="course-1", score_maximum=4)
                items.append(LineItem(course_id=course.id, url=url, label=label))
            db.session.add_all(items)
            db.session.commit()

            runtime = app.extensions["lti_pl"]
            # Outbox: queue, then the worker sends with one shared, cached token.
            for student in students:
                queue_final_score(course.id, items[0], student, 3.0, now=now)
            db.session.commit()
            from lti_pl.lti.ags import AgsSender

            sender = AgsSender(runtime.tool_conf, MemoryStore(), 5.0)
            tokens_before = len(platform.token_requests)
            started = time.perf_counter()
            report = grades.push_pending(sender, now=now, limit=n + 10)
            outbox_seconds = time.perf_counter() - started
            outbox_tokens = len(platform.token_requests) - tokens_before
            assert report.sent == n, report

            # Naive: a token request before every score (pylti1p3's stock connector).
            registration = runtime.tool_conf.registration(RegistrationRecord.of(row))
            naive = AgsClient(
                NaiveConnector(registration, MemoryStore(), 5.0, TimeoutSession(5.0)), ALL_SCOPES
            )
            tokens_before = len(platform.token_requests)
            started = time.perf_counter()
            for i, student in enumerate(students):
                naive.post_score(
                    items[1].url,
                    Score(
                        student.person.subject,
                        3.0,
                        4.0,
                        "",
                        "Completed",
                        "FullyGraded",
                        now + timedelta(milliseconds=i),
                    ),
                )
            naive_seconds = time.perf_counter() - started
            naive_tokens = len(platform.token_requests) - tokens_before
            outbox_url = items[0].url
        finally:
            platform.stop()

    arrived = len(platform.final_scores(outbox_url))
    outbox_rate = n / outbox_seconds
    naive_rate = n / naive_seconds
    print(f"scores: {n} (arrived through the outbox: {arrived})")
    per = "token requests per 1,000 scores"
    print(f"outbox:  {outbox_rate:8.1f} scores/s  {outbox_tokens * 1000 / n:6.1f} {per}")
    print(f"naive:   {naive_rate:8.1f} scores/s  {naive_tokens * 1000 / n:6.1f} {per}")
    print(f"throughput ratio outbox/naive: {outbox_rate / naive_rate:.2f}x")
    print(f"token request ratio naive/outbox: {naive_tokens / max(1, outbox_tokens):.0f}x")


if __name__ == "__main__":
    main()
