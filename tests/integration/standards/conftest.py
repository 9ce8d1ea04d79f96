from collections.abc import Iterator

import pytest

from tests.support.case_provider import CaseProvider


@pytest.fixture
def case_provider() -> Iterator[CaseProvider]:
    """A CASE 1.0 provider on 127.0.0.1 serving the tests' math framework."""
    provider = CaseProvider().start()
    yield provider
    provider.stop()
