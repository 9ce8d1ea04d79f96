"""Mastery recompute benchmark: batched `recompute_course` vs naive per-pair `recompute`.

Run: `.venv/bin/python -m bench.mastery [--students 300 --targets 40 --evidence 10]`.
Builds a course on SQLite in a temporary folder, then times and counts SQL statements for
(1) `recompute_course` on a course without records (one query for the course's scores, one
for the existing records, one insert), `--repeat` times (records deleted in between), reporting
the median wall and CPU time; (2) the same again with nothing changed (no row rewritten); and
(3) the baseline: `recompute(enrollment, target)` for every pair (queries per pair), or for
`--baseline-pairs` pairs spread over the course, scaled to all pairs. The target for (1) is
under 1 s for 300 × 40 × 10; CPU time shows what the run costs when other processes share
the machine.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event, insert, select

from bench.common import sqlite_app
from lti_pl.extensions import db
from lti_pl.models.courses import Course, Enrollment, Person
from lti_pl.models.evidence import Assessment, MasteryRecord
from lti_pl.models.platforms import Deployment, Platform
from lti_pl.models.targets import LearningTarget
from lti_pl.services import course_recompute, mastery

NOW = datetime(2025, 6, 1, tzinfo=UTC)


class QueryCounter:
    """Counts statements sent to the database while active."""

    def __init__(self, engine: Any) -> None:
        self.count = 0
        event.listen(engine, "before_cursor_execute", self._on_execute)

    def _on_execute(self, *args: Any) -> None:
        self.count += 1


def build(
    students: int, targets: int, evidence: int, seed: int
) -> tuple[int, list[tuple[int, int]]]:
    """A course with students × targets × evidence assessments; returns (course id, pairs)."""
    rng = random.Random(seed)
    platform = Platform(
        issuer="https://bench.test",
        client_id="bench",
        auth_login_url="https://bench.test/auth",
        auth_token_url="https://bench.test/token",  # noqa: S106 - a URL, not a secret
    )
    platform.deployments.append(Deployment(deployment_id="1"))
    db.session.add(platform)
    db.session.flush()
    course = Course(
        platform_id=platform.id,
        deployment_id=platform.deployments[0].id,
        context_id="bench",
        title="Bench",
        method_params={},
        reassessment_policy={},
    )
    db.session.add(course)
    db.session.flush()
    db.session.execute(
        insert(Person),
        [
            {"issuer": "https://bench.test", "subject": f"s{i}", "name": f"S{i}"}
            for i in range(students)
        ],
    )
    people = db.session.scalars(select(Person.id).order_by(Person.id)).all()
    db.session.execute(
        insert(Enrollment),
        [
            {"course_id": course.id, "person_id": p, "role": "student", "lti_roles": []}
            for p in people
        ],
    )
    methods = [None, None, None, "highest", "n_mastery", "power_law", "bkt", "weighted_average"]
    db.session.execute(
        insert(LearningTarget),
        [
            {
                "course_id": course.id,
                "statement": f"I can do skill {t}",
                "position": t,
                "calculation_method": methods[t % len(methods)],
                "method_params": {},
            }
            for t in range(targets)
        ],
    )
    enrollment_ids = db.session.scalars(select(Enrollment.id).order_by(Enrollment.id)).all()
    target_ids = db.session.scalars(select(LearningTarget.id).order_by(LearningTarget.id)).all()
    rows = []
    for e in enrollment_ids:
        for t in target_ids:
            for k in range(evidence):
                rows.append(
                    {
                        "course_id": course.id,
                        "enrollment_id": e,
                        "target_id": t,
                        "score": float(rng.randint(0, 4)),
                        "assessed_at": NOW
                        - timedelta(days=evidence - k, minutes=rng.randint(0, 600)),
                        "comment": "",
                        "rubric_notes": "",
                        "source": "evidence",
                    }
                )
    db.session.execute(insert(Assessment), rows)
    db.session.commit()
    return course.id, [(e, t) for e in enrollment_ids for t in target_ids]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--students", type=int, default=300)
    parser.add_argument("--targets", type=int, default=40)
    parser.add_argument("--evidence", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--baseline-pairs",
        type=int,
        default=600,
        help="Limit the naive baseline to N pairs spread over the course (0: all).",
    )
    parser.add_argument("--repeat", type=int, default=3, help="Batched runs (median).")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        app = sqlite_app(
            folder,
            LTI_PL_UPLOAD_FOLDER=str(Path(folder) / "uploads"),
            LTI_PL_LOG_LEVEL="WARNING",
        )
        with app.app_context():
            db.create_all()
            start = time.perf_counter()
            course_id, pairs = build(
                options.students, options.targets, options.evidence, options.seed
            )
            print(
                f"built {options.students} students x {options.targets} targets x "
                f"{options.evidence} evidence ({len(pairs) * options.evidence} assessments) "
                f"in {time.perf_counter() - start:.2f} s"
            )
            counter = QueryCounter(db.engine)

            runs: list[tuple[float, float, int]] = []
            for _ in range(max(1, options.repeat)):
                db.session.query(MasteryRecord).delete()
                db.session.commit()
                db.session.expire_all()
                counter.count = 0
                start, start_cpu = time.perf_counter(), time.process_time()
                report = course_recompute.recompute_course_report(course_id, NOW)
                db.session.commit()
                runs.append(
                    (
                        time.perf_counter() - start,
                        time.process_time() - start_cpu,
                        counter.count,
                    )
                )
            batched_time = statistics.median(run[0] for run in runs)
            batched_cpu = statistics.median(run[1] for run in runs)
            batched = {
                (r.enrollment_id, r.target_id): (r.score, r.label)
                for r in db.session.scalars(select(MasteryRecord))
            }

            # Nothing changed since: every result is computed, no row is rewritten.
            db.session.expire_all()
            counter.count = 0
            start = time.perf_counter()
            again = course_recompute.recompute_course_report(course_id, NOW)
            db.session.commit()
            again_time, again_queries = time.perf_counter() - start, counter.count

            # The baseline: one recompute per pair (its own queries), on fresh records.
            db.session.query(MasteryRecord).delete()
            db.session.commit()
            db.session.expire_all()
            step = max(1, len(pairs) // options.baseline_pairs) if options.baseline_pairs else 1
            sample = pairs[::step][: options.baseline_pairs or None]
            counter.count = 0
            start = time.perf_counter()
            for enrollment_id, target_id in sample:
                mastery.recompute(enrollment_id, target_id, now=NOW)
            db.session.commit()
            naive_time, naive_queries = time.perf_counter() - start, counter.count
            naive = {
                (r.enrollment_id, r.target_id): (r.score, r.label)
                for r in db.session.scalars(select(MasteryRecord))
            }
            assert all(batched[pair] == naive[pair] for pair in naive), "results differ"

        scale = len(pairs) / len(sample)
        each = ", ".join(f"{wall:.3f}" for wall, _, _ in runs)
        print(
            f"recompute_course (batched): {report.records} records ({report.written} written) "
            f"in {batched_time:.3f} s median of {len(runs)} ({each}), CPU {batched_cpu:.3f} s, "
            f"{runs[-1][2]} SQL statements"
        )
        print(
            f"recompute_course again, nothing changed: {again.records} records "
            f"({again.written} written) in {again_time:.3f} s, {again_queries} SQL statements"
        )
        label = "all" if scale == 1 else f"{len(sample)} of {len(pairs)}"
        print(
            f"per-pair recompute (naive baseline, {label} pairs): {naive_time:.3f} s, "
            f"{naive_queries} SQL statements"
            + ("" if scale == 1 else f" (about {naive_time * scale:.1f} s for all)")
        )
        print(f"speed-up: {naive_time * scale / batched_time:.1f}x; same results on compared pairs")
        print("target < 1 s for 300 x 40 x 10: " + ("met" if batched_time < 1 else "NOT met"))


if __name__ == "__main__":
    main()
