"""`lti-pl mastery explain`: JSON out, exit 2 with one line on bad input; no database needed."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from lti_pl.commands.mastery import command


def explain(*args):
    return CliRunner().invoke(command, ["explain", *args])


def test_explain_prints_the_result_as_json():
    result = explain("--method", "decaying_average", "2", "3", "4")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert set(data) == {
        "method",
        "score",
        "level",
        "label",
        "mastered",
        "next_score_to_master",
        "explanation",
    }
    assert data["method"] == "decaying_average"
    assert data["mastered"] is True
    assert data["label"] in {"Mastery", "Exceeds Mastery"}


def test_params_change_the_result():
    low = json.loads(explain("--method", "n_mastery", "--param", "n=3", "3", "3").output)
    high = json.loads(explain("--method", "n_mastery", "--param", "n=2", "3", "3").output)
    assert (low["mastered"], high["mastered"]) == (False, True)


def test_bkt_includes_the_probability():
    data = json.loads(explain("--method", "bkt", "3", "4", "4", "4").output)
    assert 0 <= data["probability"] <= 1
    assert data["probability"] == data["score"]


def test_a_custom_scale():
    result = explain(
        "--method", "latest", "--scale", "2=Got it,1=Almost,0=Not yet", "--mastery-points", "2", "1"
    )
    assert json.loads(result.output)["label"] == "Almost"


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (["--method", "median", "1"], "Unknown calculation method 'median'"),
        (["--method", "bkt", "--param", "p_slip=0.7", "1"], "Chance of a slip must be"),
        (["--method", "latest", "--param", "weight=0.5", "1"], "has no parameter 'weight'"),
        (["--method", "latest", "--param", "weight", "1"], "must look like name=value"),
        (["--method", "latest", "five"], "score 'five' is not a number"),
        (["--method", "latest", "5"], "outside the scale"),
    ],
    ids=["method", "param-range", "param-name", "param-shape", "score-text", "score-range"],
)
def test_bad_input_exits_2_with_one_line(args, reason):
    result = explain(*args)
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1
    assert reason in lines[0]


def test_registered_under_the_lti_pl_command(runner):
    result = runner.invoke(args=["mastery", "explain", "--method", "highest", "1", "3"])
    assert result.exit_code == 0
    assert json.loads(result.output)["score"] == 3
