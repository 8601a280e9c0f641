"""The dependency seam: the suite runs on urllib3 1.26/2.x and pyrate-limiter 3.x/4.x."""

from __future__ import annotations

import importlib.metadata as md
import os

import pytest

from luco_client.transport import _compat
from luco_client.transport._sqlite import sqlite_connection


def test_detected_majors_match_installed_packages() -> None:
    assert int(md.version("urllib3").split(".")[0]) == _compat.URLLIB3_MAJOR
    assert int(md.version("pyrate-limiter").split(".")[0]) == _compat.PYRATE_MAJOR
    assert _compat.URLLIB3_MAJOR in (1, 2) and _compat.PYRATE_MAJOR in (3, 4)


@pytest.mark.skipif("LUCO_CLIENT_EXPECT" not in os.environ, reason="only CI says which majors it installed")
def test_ci_installed_the_majors_it_meant_to() -> None:
    expected = os.environ["LUCO_CLIENT_EXPECT"]  # e.g. "urllib3=1,pyrate=3"
    wanted = dict(item.split("=") for item in expected.split(","))
    assert int(wanted["urllib3"]) == _compat.URLLIB3_MAJOR
    assert int(wanted["pyrate"]) == _compat.PYRATE_MAJOR


def test_memory_bucket_wait_agrees_with_put() -> None:
    bucket = _compat.memory_bucket(2, 1000)
    assert _compat.wait_ms(bucket, 2, 1000, 10_000) == 0
    assert _compat.put(bucket, _compat.new_item("k", 10_000))
    assert _compat.put(bucket, _compat.new_item("k", 10_001))
    assert _compat.wait_ms(bucket, 2, 1000, 10_002) == 999  # until 10_000 leaves the window
    assert not _compat.put(bucket, _compat.new_item("k", 11_000))  # 10_000 still counts at 11_000
    assert _compat.wait_ms(bucket, 2, 1000, 11_001) == 0
    assert _compat.put(bucket, _compat.new_item("k", 11_001))


def test_sqlite_bucket_shares_state_between_connections(tmp_path: os.PathLike) -> None:
    path = os.path.join(str(tmp_path), "b.sqlite")
    conn_a, lock_a = sqlite_connection(path)
    conn_b, lock_b = sqlite_connection(path)
    a = _compat.sqlite_bucket(1, 1000, conn_a, "t", lock_a)
    b = _compat.sqlite_bucket(1, 1000, conn_b, "t", lock_b)
    assert _compat.put(a, _compat.new_item("k", 50_000))
    assert not _compat.put(b, _compat.new_item("k", 50_100))
    assert _compat.wait_ms(b, 1, 1000, 50_100) == 901
    conn_a.close()
    conn_b.close()


def test_max_in_window_counts_half_open_windows() -> None:
    from luco_client.testing import max_in_window

    assert max_in_window([], 1.0) == 0
    assert max_in_window([0.0, 0.5, 0.99, 1.0, 1.5], 1.0) == 3
    assert max_in_window([3.0, 0.0, 1.0, 2.0], 1.0) == 1


def test_admission_log_counts_closed_windows_of_stamps() -> None:
    from luco_client import ThrottleRule
    from luco_client.testing import AdmissionLog

    rule, other = ThrottleRule(".*", 3), ThrottleRule("/x", 3)
    log = AdmissionLog()
    assert log.most_in_window(rule, 1000) == 0
    for stamp in [2001, 0, 1000, 2000, 500]:  # out of order, as threads report them
        log(rule, stamp)
    log(other, 1000)
    assert log.stamps(rule) == [0, 500, 1000, 2000, 2001]
    assert log.most_in_window(rule, 1000) == 3  # [0, 1000] is closed: 0, 500 and 1000
    assert log.most_in_window(rule, 999) == 2
    assert log.most_in_window(other, 1000) == 1
