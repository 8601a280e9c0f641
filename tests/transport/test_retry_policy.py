"""GracefulRetry as a policy object: arithmetic, validation, urllib3 compatibility."""

from __future__ import annotations

import email.utils

import pytest

from luco_client import ConfigurationError, GracefulRetry, Phase, ReadTimeoutError
from luco_client.testing import FakeClock
from luco_client.transport._retry import Action


def test_is_a_urllib3_retry_and_survives_new() -> None:
    from urllib3.util.retry import Retry

    policy = GracefulRetry(max_attempts=5, delay=2, delay_modifier=3, overrides={503: 0.1}, jitter=0)
    assert isinstance(policy, Retry)
    assert policy.total == 4
    nxt = policy.increment("GET", "/x", error=ReadTimeoutError("t"))
    assert isinstance(nxt, GracefulRetry)
    assert (nxt.max_attempts, nxt.delay, nxt.delay_modifier, nxt.overrides) == (5, 2.0, 3.0, {503: 0.1})
    assert nxt.total == 3 and len(nxt.history) == 1
    assert policy.history == ()  # value object: the original is unchanged


def test_backoff_is_delay_times_modifier_power_capped() -> None:
    policy = GracefulRetry(delay=1, delay_modifier=2, max_delay=5, jitter=0)
    assert [policy.backoff(n) for n in range(1, 6)] == [1, 2, 4, 5, 5]


def test_overrides_replace_the_base_delay_per_status() -> None:
    policy = GracefulRetry(delay=1, delay_modifier=2, overrides={503: 0.1}, jitter=0)
    assert [policy.backoff(n, 503) for n in (1, 2, 3)] == [0.1, 0.2, 0.4]
    assert policy.backoff(1, 500) == 1


def test_jitter_uses_injected_random_and_stays_under_cap() -> None:
    policy = GracefulRetry(delay=1, delay_modifier=1, jitter=0.5, max_delay=1.2, random=lambda: 0.5)
    assert policy.backoff(1) == 1.2  # 1 + 0.25 capped at 1.2
    policy = GracefulRetry(delay=1, delay_modifier=1, jitter=0.5, random=lambda: 0.2)
    assert policy.backoff(3) == pytest.approx(1.1)


def test_retry_after_parses_seconds_and_http_date_on_the_injected_clock() -> None:
    clock = FakeClock(wall=1_700_000_000)
    policy = GracefulRetry(clock=clock)
    assert policy.retry_after_seconds("7") == 7
    assert policy.retry_after_seconds("1.5") == 1.5
    date = email.utils.formatdate(1_700_000_000 + 42, usegmt=True)
    assert policy.retry_after_seconds(date) == 42
    past = email.utils.formatdate(1_700_000_000 - 42, usegmt=True)
    assert policy.retry_after_seconds(past) == 0
    assert policy.retry_after_seconds("soon") is None
    assert policy.retry_after_seconds(None) is None
    with pytest.raises(ValueError):
        policy.parse_retry_after("soon")


@pytest.mark.parametrize("kwargs", [
    {"max_attempts": 0}, {"max_attempts": 1.5}, {"delay": -1}, {"max_delay": "x"},
    {"on_exhausted": "explode"}, {"retry_on": "500"}, {"retry_on": {700}}, {"deadline": 0},
    {"overrides": {503: -1}}, {"jitter": True},
])
def test_bad_settings_raise_configuration_error(kwargs: dict) -> None:
    with pytest.raises(ConfigurationError):
        GracefulRetry(**kwargs)


def test_configuration_error_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        GracefulRetry(max_attempts=-3)


def test_gracy_behaviour_names_are_aliases() -> None:
    assert GracefulRetry(on_exhausted="break").on_exhausted == "raise"
    assert GracefulRetry(on_exhausted="pass").on_exhausted == "return"


def _decide(policy: GracefulRetry, **kw: object) -> Action:
    args = dict(phase=Phase.RESPONSE, status=503, error=None, retry_after=None, idempotent=True, remaining=None)
    args.update(kw)
    return policy.decide("POST", "http://h/x", **args).action  # type: ignore[arg-type]


def test_safety_rule() -> None:
    policy = GracefulRetry(jitter=0)
    timeout = ReadTimeoutError("t", phase=Phase.SENT_NO_RESPONSE)
    assert _decide(policy, status=503, idempotent=False) is Action.UNSAFE
    assert _decide(policy, status=503, idempotent=True) is Action.RETRY
    assert _decide(policy, status=429, retry_after="1", idempotent=False) is Action.RETRY
    assert _decide(policy, status=503, retry_after="1", idempotent=False) is Action.RETRY
    assert _decide(policy, status=500, retry_after="1", idempotent=False) is Action.UNSAFE
    assert _decide(policy, phase=Phase.SENT_NO_RESPONSE, status=None, error=timeout, idempotent=False) is Action.UNSAFE
    assert _decide(policy, phase=Phase.NOT_SENT, status=None, error=timeout, idempotent=False) is Action.RETRY


def test_retry_on_selects_statuses_and_exception_classes() -> None:
    class Invalid(Exception):
        pass

    policy = GracefulRetry(retry_on={404, Invalid}, jitter=0)
    assert _decide(policy, status=404) is Action.RETRY
    assert _decide(policy, status=503) is Action.NOT_RETRYABLE
    assert _decide(policy, status=200, error=Invalid()) is Action.RETRY
    assert _decide(GracefulRetry(retry_on=None), status=418) is Action.RETRY


def test_exhaustion_after_max_attempts() -> None:
    policy = GracefulRetry(max_attempts=2, jitter=0)
    first = policy.decide("GET", "u", phase=Phase.RESPONSE, status=503, error=None, retry_after=None,
                          idempotent=True, remaining=None)
    assert first.action is Action.RETRY and first.policy is not None
    second = first.policy.decide("GET", "u", phase=Phase.RESPONSE, status=503, error=None,
                                 retry_after=None, idempotent=True, remaining=None)
    assert second.action is Action.EXHAUSTED


def test_retry_after_beyond_max_or_deadline_fails_fast() -> None:
    policy = GracefulRetry(max_retry_after=10)
    assert _decide(policy, status=429, retry_after="11") is Action.RETRY_AFTER_TOO_LONG
    assert _decide(policy, status=429, retry_after="5", remaining=4.0) is Action.RETRY_AFTER_TOO_LONG
    assert _decide(policy, status=429, retry_after="5", remaining=6.0) is Action.RETRY


def test_backoff_beyond_deadline_stops() -> None:
    policy = GracefulRetry(delay=3, jitter=0)
    assert _decide(policy, status=503, remaining=2.0) is Action.DEADLINE
