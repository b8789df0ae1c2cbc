"""Shared fixtures of the pytest suite (helpers live in tests/builders.py and
the semantic reference in pygraph/reference.py)."""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

# Property tests never time anything: no deadline.  The example count is
# sized for the 2-core CI machine; PYGRAPH_HYPOTHESIS_EXAMPLES raises it for
# a longer local run.
settings.register_profile(
    "pygraph",
    deadline=None,
    max_examples=int(os.environ.get("PYGRAPH_HYPOTHESIS_EXAMPLES", "150")),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile("pygraph")


@pytest.fixture(scope="session")
def engine():
    import pygraph

    return pygraph.Engine("cpu", 0)


@pytest.fixture(scope="session")
def stream(engine):
    import pygraph

    return pygraph.Stream(engine)
