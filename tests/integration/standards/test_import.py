"""CASE import from a file (CLI) and from a provider over HTTP: all or nothing, re-import."""

import json
import re

import pytest
from sqlalchemy import func, select

from lti_pl.extensions import db
from lti_pl.models.standards import StandardItem, StandardsFramework
from lti_pl.services import standards, standards_import
from tests.support.builders import T0, make_course, make_platform, make_target
from tests.support.case_provider import item_id, math_package, package


def _count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def test_cli_imports_a_package_file_for_a_platform(runner, tmp_path):
    lms = make_platform()
    path = tmp_path / "math.json"
    path.write_text(json.dumps(math_package()))
    result = runner.invoke(args=["standards", "import", str(path), "--platform", lms.issuer])
    assert result.exit_code == 0, result.output
    assert "imported" in result.output
    assert "8 new" in result.output
    framework = db.session.scalar(select(StandardsFramework))
    assert framework.issuer == lms.issuer
    assert framework.title == "Test Mathematics Standards"
    items = {i.code: i for i in framework.items}
    assert items["5.NF.A.1"].parent_identifier == item_id("nf.a")
    assert items["5.NF.A.1"].education_levels == ["05"]


def test_cli_refuses_a_malformed_file_and_imports_nothing(runner, tmp_path):
    lms = make_platform()
    data = math_package()
    data["CFItems"][5].pop("fullStatement")  # items 0-4 are fine: none of them may land
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data))
    result = runner.invoke(args=["standards", "import", str(path), "--platform", lms.issuer])
    assert result.exit_code == 2
    assert "CFItems[5]" in result.output
    assert "fullStatement is missing" in result.output
    assert _count(StandardsFramework) == 0
    assert _count(StandardItem) == 0


def test_cli_refuses_invalid_json_and_an_unknown_platform(runner, tmp_path):
    lms = make_platform()
    path = tmp_path / "bad.json"
    path.write_text('{"CFDocument": ')
    result = runner.invoke(args=["standards", "import", str(path), "--platform", lms.issuer])
    assert result.exit_code == 2
    assert "not valid JSON" in result.output
    good = tmp_path / "math.json"
    good.write_text(json.dumps(math_package()))
    result = runner.invoke(args=["standards", "import", str(good), "--platform", "https://nope"])
    assert result.exit_code == 2
    assert "No platform is registered" in result.output
    assert _count(StandardsFramework) == 0


def test_cli_imports_every_framework_from_a_provider(runner, case_provider):
    lms = make_platform()
    case_provider.add(
        package("Test Science", [("ps", "PS1", "Matter and its interactions", None, ["05"])])
    )
    url = f"{case_provider.base_url}/CFDocuments"
    result = runner.invoke(args=["standards", "import", url, "--platform", lms.issuer])
    assert result.exit_code == 0, result.output
    assert sorted(f.title for f in standards.list_frameworks(lms.issuer)) == [
        "Test Mathematics Standards",
        "Test Science",
    ]
    assert case_provider.requests[0] == "/ims/case/v1p0/CFDocuments"
    assert len(case_provider.requests) == 3


def test_provider_package_url_imports_one_framework(app, db_session, case_provider):
    lms = make_platform()
    identifier = next(iter(case_provider.packages))
    results = standards_import.import_from_provider(
        lms.issuer,
        f"{case_provider.base_url}/CFPackages/{identifier}",
        now=T0,
        policy=standards_import.provider_policy(app.config),
    )
    assert [r.framework.identifier for r in results] == [identifier]
    assert case_provider.requests == [f"/ims/case/v1p0/CFPackages/{identifier}"]


def test_one_broken_package_from_the_provider_imports_nothing(runner, case_provider):
    lms = make_platform()
    science = case_provider.add(package("Test Science", [("ps", "PS1", "Matter", None, [])]))
    case_provider.broken.add(science)
    url = f"{case_provider.base_url}/CFDocuments"
    result = runner.invoke(args=["standards", "import", url, "--platform", lms.issuer])
    assert result.exit_code == 2
    assert f"CFPackages/{science}" in result.output
    assert "not valid JSON" in result.output
    assert _count(StandardsFramework) == 0


def test_provider_errors_and_unreachable_provider_are_clear(runner, case_provider):
    lms = make_platform()
    url = f"{case_provider.base_url}/CFDocuments"
    case_provider.status = 503
    result = runner.invoke(args=["standards", "import", url, "--platform", lms.issuer])
    assert result.exit_code == 2
    assert "answered 503" in result.output
    case_provider.status = None
    unknown = f"{case_provider.base_url}/CFPackages/{item_id('nope')}"
    result = runner.invoke(args=["standards", "import", unknown, "--platform", lms.issuer])
    assert "answered 404" in result.output
    case_provider.stop()
    result = runner.invoke(args=["standards", "import", url, "--platform", lms.issuer])
    assert result.exit_code == 2
    assert "Could not reach the CASE provider" in result.output
    assert "Traceback" not in result.output
    assert _count(StandardsFramework) == 0


def test_provider_url_must_be_a_case_address(app, db_session):
    lms = make_platform()
    for url, message in (
        ("ftp://case.test/ims/case/v1p0", "https://"),
        ("https://case.test/api/frameworks", "/ims/case/v1p0"),
        ("https://case.test/ims/case/v1p0/CFItems/x/y", "CFDocuments"),
    ):
        with pytest.raises(standards.InvalidInputError, match=re.escape(message)):
            standards_import.import_from_provider(lms.issuer, url, now=T0)


def test_reimport_updates_statements_and_keeps_target_links(app, db_session):
    lms = make_platform()
    course = make_course(lms)
    (first,) = standards_import.import_data(lms.issuer, math_package(), source="v1", now=T0)
    item = next(i for i in first.framework.items if i.code == "5.NF.A.1")
    item_row_id = item.id
    linked = make_target(
        course, item.statement, case_guid=item.identifier, standard_code="5.NF.A.1"
    )
    edited = make_target(
        course, "I can add fractions (my words)", case_guid=item_id("nf.a.2"), standard_code="x"
    )
    db_session.commit()
    v2 = math_package()
    v2["CFItems"][2]["fullStatement"] = "Add and subtract fractions with unlike denominators."
    v2["CFItems"][3]["fullStatement"] = "Solve word problems with fractions."
    gone = v2["CFItems"].pop(7)  # K.G.A.1 leaves the framework
    (second,) = standards_import.import_data(lms.issuer, v2, source="v2", now=T0)
    db_session.commit()
    assert second.framework.id == first.framework.id
    assert (second.created, second.updated, second.retired, second.is_new) == (0, 2, 1, False)
    assert _count(StandardsFramework) == 1
    refreshed = db.session.get(StandardItem, item_row_id)
    assert refreshed.statement == "Add and subtract fractions with unlike denominators."
    assert db.session.get(type(linked), linked.id).statement == refreshed.statement
    assert db.session.get(type(linked), linked.id).case_guid == item.identifier
    assert db.session.get(type(edited), edited.id).statement == "I can add fractions (my words)"
    retired = db.session.scalar(
        select(StandardItem).where(StandardItem.identifier == gone["identifier"])
    )
    assert retired.is_retired


def test_frameworks_are_per_platform(app, db_session):
    one, two = make_platform(), make_platform()
    standards_import.import_data(one.issuer, math_package(), source="f", now=T0)
    standards_import.import_data(two.issuer, math_package(), source="f", now=T0)
    db_session.commit()
    assert len(standards.list_frameworks(one.issuer)) == 1
    assert len(standards.list_frameworks(two.issuer)) == 1
    assert _count(StandardsFramework) == 2
