"""Test kit: fake servers on 127.0.0.1, fault injection, a fake clock, pytest fixtures.

Usable in your own tests: ``pip install luco-client`` registers the pytest plugin
(:mod:`luco_client.testing.pytest_plugin`), which provides the ``flaky_server`` and
``fake_clock`` fixtures.
"""

from luco_client.testing._clock import FakeClock
from luco_client.testing._flaky import (
    Delay,
    Drop,
    Faults,
    FlakyServer,
    Received,
    Redirect,
    Reply,
    Truncate,
    max_in_window,
    reserve_port,
)

__all__ = [
    "FlakyServer",
    "Received",
    "Reply",
    "Delay",
    "Drop",
    "Truncate",
    "Redirect",
    "Faults",
    "reserve_port",
    "max_in_window",
    "FakeClock",
]
