"""A CASE provider URL a teacher types cannot make the tool fetch an internal address (SSRF)."""

from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from lti_pl.extensions import db
from lti_pl.models.standards import StandardsFramework
from lti_pl.services import standards, standards_import
from tests.support.builders import T0, make_platform, make_teacher, sign_in

CASE = "/ims/case/v1p0/CFDocuments"


@pytest.mark.parametrize(
    "host",
    [
        pytest.param("127.0.0.1:{port}", id="loopback"),
        pytest.param("10.20.30.40", id="private"),
        pytest.param("169.254.169.254", id="cloud-metadata"),
        pytest.param("localhost:{port}", id="name-resolving-to-loopback"),
    ],
)
def test_internal_addresses_are_refused_before_any_fetch(app, db_session, case_provider, host):
    lms = make_platform()
    url = f"http://{host.format(port=urlsplit(case_provider.base_url).port)}{CASE}"
    with pytest.raises(standards.InvalidInputError) as error:
        standards_import.import_from_provider(lms.issuer, url, now=T0)
    assert "private, loopback or link-local address" in str(error.value)
    assert "Nothing was imported" in str(error.value)
    assert case_provider.requests == []
    assert db.session.scalar(select(func.count(StandardsFramework.id))) == 0


def test_the_import_page_refuses_a_loopback_provider_unless_configured(app, client, case_provider):
    teacher = make_teacher()
    sign_in(client, teacher)
    url = f"{case_provider.base_url}/CFDocuments"
    app.config["LTI_PL_CASE_ALLOW_PRIVATE"] = False
    answer = client.post(f"/courses/{teacher.course_id}/teach/standards/import", data={"url": url})
    assert answer.status_code == 422
    assert "private, loopback or link-local address" in answer.get_data(True)
    assert case_provider.requests == []
    app.config["LTI_PL_CASE_ALLOW_PRIVATE"] = True  # as the test config allows the emulator
    answer = client.post(f"/courses/{teacher.course_id}/teach/standards/import", data={"url": url})
    assert answer.status_code == 303
    assert case_provider.requests[0] == CASE
