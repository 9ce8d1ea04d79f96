from collections.abc import Iterator

import pytest
from flask import Flask

from tests.support.case_provider import CaseProvider


@pytest.fixture
def case_provider(app: Flask) -> Iterator[CaseProvider]:
    """A CASE 1.0 provider on 127.0.0.1 serving the tests' math framework.

    The app may fetch from it: LTI_PL_CASE_ALLOW_PRIVATE, as a provider inside a school's network.
    """
    app.config["LTI_PL_CASE_ALLOW_PRIVATE"] = True
    provider = CaseProvider().start()
    yield provider
    provider.stop()
