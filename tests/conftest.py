"""Project-wide pytest configuration.

- hypothesis: a fixed, derandomized profile, so a test run is repeatable.
- ``book``: one clean build of the whole book per test session, shared by the book tests.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, settings

from book_support import build_book

settings.register_profile(
    "gtt", derandomize=True, deadline=None, max_examples=60,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("gtt")


@pytest.fixture(scope="session")
def book(tmp_path_factory):
    """The book, built from clean with warnings as errors (the build is the integration test)."""
    return build_book(tmp_path_factory.mktemp("book"))
