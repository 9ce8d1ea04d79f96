"""Readiness benchmark: BKT fitted by EM (lti_pl.analytics.bkt_fit) on simulated students.

Run: `.venv/bin/python -m bench.readiness [--students 1500 --attempts 12 --seed 7 --repeat 3]`.

1. Parameter recovery: simulate students from known BKT parameters (prior 0.3, learn 0.15,
   guess 0.2, slip 0.1), fit with the tool's setting (`--prior-strength`), and report each
   parameter's error (the goal: within ±0.03).
2. Fit time for that data (median of `--repeat` fits, wall and CPU).
3. Prediction: on held-out simulated students, the area under the ROC curve (AUC) of predicting
   whether each attempt (from the second on) reaches mastery, from the attempts before it:
   BKT's P(correct) vs the baseline "decaying average ≥ mastery" (the tool's default method on a
   1–4 scale, mastery 3; the baseline's AUC is given both for the yes/no rule and for the
   decaying average itself as a continuous score, its best case), in the same run.
4. pyBKT side by side, when it is installed (`pip install pyBKT`): the same data, its fit time,
   recovered parameters and AUC.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Sequence

import numpy as np

from lti_pl.analytics.bkt_fit import BktParameters, fit, predict_each
from lti_pl.services.readiness import DEFAULTS, PRIOR_STRENGTH

TRUTH = BktParameters(prior=0.3, learn=0.15, guess=0.2, slip=0.1)
WEIGHT = 0.65  # the decaying average's default weight (domain/mastery/canvas.py)
MASTERY = 3.0


def simulate(
    students: int, attempts: int, truth: BktParameters, seed: int
) -> tuple[list[list[bool]], list[list[float]]]:
    """Attempts (at mastery or not) and the matching 1–4 scores for simulated students."""
    rng = random.Random(seed)
    correct_all, scores_all = [], []
    for _ in range(students):
        knows = rng.random() < truth.prior
        correct, scores = [], []
        for _ in range(attempts):
            is_correct = rng.random() < (1 - truth.slip if knows else truth.guess)
            correct.append(is_correct)
            scores.append(float(rng.choice((3, 4)) if is_correct else rng.choice((1, 2))))
            if not knows and rng.random() < truth.learn:
                knows = True
        correct_all.append(correct)
        scores_all.append(scores)
    return correct_all, scores_all


def auc(labels: Sequence[bool], scores: Sequence[float]) -> float:
    """ROC AUC by the rank-sum (Mann–Whitney) formula, ties sharing their average rank."""
    y = np.asarray(labels, dtype=bool)
    s = np.asarray(scores, dtype=float)
    order = np.argsort(s, kind="mergesort")
    ranks = np.empty(len(s))
    sorted_s = s[order]
    i = 0
    while i < len(s):
        j = i
        while j + 1 < len(s) and sorted_s[j + 1] == sorted_s[i]:
            j += 1
        ranks[order[i : j + 1]] = (i + j) / 2 + 1
        i = j + 1
    positives, negatives = int(y.sum()), int((~y).sum())
    return float((ranks[y].sum() - positives * (positives + 1) / 2) / (positives * negatives))


def decaying_averages(scores: Sequence[float]) -> list[float]:
    """For each attempt from the second on, the decaying average of the scores before it."""
    out, value = [], scores[0]
    for score in scores[1:]:
        out.append(value)
        value += WEIGHT * (score - value)
    return out


def evaluate(
    test_correct: list[list[bool]], test_scores: list[list[float]], predictions: list[list[float]]
) -> tuple[float, float, float]:
    """(AUC of the model, AUC of "decaying average ≥ mastery", AUC of the decaying average)."""
    labels, model, rule, average = [], [], [], []
    for correct, scores, predicted in zip(test_correct, test_scores, predictions, strict=True):
        labels.extend(correct[1:])
        model.extend(predicted[1:])
        averages = decaying_averages(scores)
        average.extend(averages)
        rule.extend(float(a >= MASTERY) for a in averages)
    return auc(labels, model), auc(labels, rule), auc(labels, average)


def _timed(function, repeat):  # type: ignore[no-untyped-def]
    walls, cpus, result = [], [], None
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        result = function()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return result, walls, cpus


def _pybkt(train: list[list[bool]], test: list[list[bool]], repeat: int, seed: int) -> float | None:
    try:
        import pandas as pd  # pyBKT's own dependency
        from pyBKT.models import Model
    except ImportError:
        print("pyBKT: not installed (pip install pyBKT to compare)")
        return None
    except Exception as error:
        print(f"pyBKT: installed but fails on import ({type(error).__name__}: {error})")
        return None

    def frame(sequences: list[list[bool]], first_user: int) -> pd.DataFrame:
        rows = []
        for user, sequence in enumerate(sequences):
            for is_correct in sequence:
                rows.append((len(rows), first_user + user, "standard", int(is_correct)))
        return pd.DataFrame(rows, columns=["order_id", "user_id", "skill_name", "correct"])

    train_df, test_df = frame(train, 0), frame(test, len(train))
    model = None

    def run():  # type: ignore[no-untyped-def]
        nonlocal model
        model = Model(seed=seed, num_fits=1, parallel=False)
        model.fit(data=train_df)
        return model

    _, walls, cpus = _timed(run, repeat)
    params = model.params().reset_index()
    value = {row["param"]: float(row["value"]) for _, row in params.iterrows()}
    predicted = model.predict(data=test_df)
    test_df = test_df.assign(p=predicted["correct_predictions"].to_numpy())
    labels, scores = [], []
    for _, group in test_df.groupby("user_id", sort=False):
        labels.extend(group["correct"].astype(bool).tolist()[1:])
        scores.extend(group["p"].tolist()[1:])
    print(
        f"pyBKT 1 fit: wall median {statistics.median(walls):.3f} s (min {min(walls):.3f}, "
        f"max {max(walls):.3f}), CPU median {statistics.median(cpus):.3f} s"
    )
    print(
        "pyBKT params: "
        + ", ".join(
            f"{name} {value.get(key, float('nan')):.3f}"
            for name, key in (
                ("prior", "prior"),
                ("learn", "learns"),
                ("guess", "guesses"),
                ("slip", "slips"),
            )
        )
    )
    print(f"pyBKT AUC: {auc(labels, scores):.4f}")
    return statistics.median(walls)


def main() -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=1500)
    parser.add_argument("--attempts", type=int, default=12)
    parser.add_argument("--held-out", type=int, default=500)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-pybkt", action="store_true")
    parser.add_argument(
        "--prior-strength",
        type=float,
        default=PRIOR_STRENGTH,
        help="pseudo-attempts towards the defaults (the tool's setting by default; 0: plain ML)",
    )
    args = parser.parse_args()

    train, _ = simulate(args.students, args.attempts, TRUTH, args.seed)
    test, test_scores = simulate(args.held_out, args.attempts, TRUTH, args.seed + 1)
    fitted, walls, cpus = _timed(
        lambda: fit(train, prior_strength=args.prior_strength, prior_means=DEFAULTS), args.repeat
    )
    p = fitted.parameters
    print(
        f"data: {args.students} students x {args.attempts} attempts (seed {args.seed}), "
        f"prior strength {args.prior_strength:g}"
    )
    worst = 0.0
    for name in ("prior", "learn", "guess", "slip"):
        error = getattr(p, name) - getattr(TRUTH, name)
        worst = max(worst, abs(error))
        print(
            f"  {name:5} true {getattr(TRUTH, name):.3f} fitted {getattr(p, name):.3f} "
            f"error {error:+.3f}"
        )
    print(f"recovery: worst error {worst:.3f} ({'within' if worst <= 0.03 else 'OUTSIDE'} ±0.03)")
    print(
        f"EM fit: {fitted.iterations} iterations (last start), wall median "
        f"{statistics.median(walls):.3f} s (min {min(walls):.3f}, max {max(walls):.3f}), "
        f"CPU median {statistics.median(cpus):.3f} s"
    )
    model_auc, rule_auc, average_auc = evaluate(test, test_scores, predict_each(test, p))
    print(f"held-out: {args.held_out} students, {args.held_out * (args.attempts - 1)} predictions")
    print(f"  AUC BKT {model_auc:.4f}")
    print(
        f"  AUC baseline 'decaying average >= mastery' {rule_auc:.4f} "
        f"(BKT / baseline = {model_auc / rule_auc:.3f})"
    )
    print(
        f"  AUC decaying average as a score {average_auc:.4f} "
        f"(BKT / it = {model_auc / average_auc:.3f})"
    )
    if not args.no_pybkt:
        pybkt_wall = _pybkt(train, test, args.repeat, args.seed)
        if pybkt_wall:
            print(f"fit time ours / pyBKT = {statistics.median(walls) / pybkt_wall:.3f}")


if __name__ == "__main__":
    main()
