"""Bad settings and arguments raise ConfigurationError (a ValueError), never raw errors."""

from __future__ import annotations

import typing as t

import pytest

from luco_client import (
    BearerTokenAuth,
    CallOptions,
    ConfigurationError,
    GracefulSession,
    LogEvent,
    Throttle,
    ThrottleRule,
)
from luco_client.testing import FlakyServer

BAD: t.List[t.Callable[[], object]] = [
    lambda: GracefulSession(retry="3 times"),
    lambda: GracefulSession(throttle=ThrottleRule(".*", 1)),
    lambda: GracefulSession(retries=3),
    lambda: GracefulSession(timeout="slow"),
    lambda: CallOptions(deadline=-1),
    lambda: CallOptions(idempotent="yes"),
    lambda: CallOptions(timeout="1s"),
    lambda: CallOptions(retry=3),
    lambda: CallOptions(success_statuses=["not-a-status"]),
    lambda: CallOptions(validators=[42]),
    lambda: LogEvent("LOUD"),
    lambda: LogEvent(20, template=42),
    lambda: ThrottleRule(123, 1),
    lambda: Throttle("rule"),
    lambda: BearerTokenAuth("not callable"),
]


@pytest.mark.parametrize("build", BAD)
def test_bad_settings_are_configuration_errors(build: t.Callable[[], object]) -> None:
    with pytest.raises(ConfigurationError) as info:
        build()
    assert isinstance(info.value, ValueError) and str(info.value)


def test_options_must_be_call_options(server: FlakyServer) -> None:
    with pytest.raises(ConfigurationError):
        GracefulSession().get(server.url, options={"idempotent": True})  # type: ignore[arg-type]


def test_log_level_names_are_accepted() -> None:
    assert LogEvent("warning").level == 30
