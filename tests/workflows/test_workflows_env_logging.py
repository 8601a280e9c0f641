"""Environment variables (read when a client is built, not at import) and logging."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import textwrap
import typing as t

import pytest

from luco_client import ConfigurationError
from luco_client.testing import FakeClock, WorkflowsServer
from luco_client.workflows import Dcipher

MakeClient = t.Callable[..., Dcipher]


def _run(code: str, env: t.Dict[str, str]) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DCIPHER_", "LUCO_CLIENT_"))}
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env={**base, **env}, capture_output=True,
                          text=True, timeout=60, check=False)


def test_key_and_base_url_come_from_the_environment_at_construction(api: WorkflowsServer,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DCIPHER_API_KEY", raising=False)
    monkeypatch.delenv("DCIPHER_BASE_URL", raising=False)
    import luco_client.workflows  # noqa: F401 - imported before the variables exist (python-dotenv style)

    monkeypatch.setenv("DCIPHER_API_KEY", api.api_key)
    monkeypatch.setenv("DCIPHER_BASE_URL", api.url)
    client = Dcipher()
    assert client.run_flow("now", {})["task_id"] == api.runs("now")[0].task_id
    assert client.max_retries == 100  # dcipher's default
    client.close()


def test_base_url_argument_beats_the_environment_which_beats_the_class_attribute(
        api: WorkflowsServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DCIPHER_BASE_URL", "http://127.0.0.1:9/nowhere")
    assert Dcipher("k-123456789", base_url=api.url).session is not None
    assert repr(Dcipher("k-123456789", base_url=api.url)) == f"<Dcipher {api.url}>"
    assert repr(Dcipher("k-123456789")) == "<Dcipher http://127.0.0.1:9/nowhere>"
    monkeypatch.delenv("DCIPHER_BASE_URL")

    class Redirected(Dcipher):
        BASE_URL = api.url  # how dcipher scripts point the client elsewhere

    assert repr(Redirected("k-123456789")) == f"<Redirected {api.url}>"
    assert repr(Dcipher("k-123456789")) == "<Dcipher https://api.dcipheranalytics.com>"


def test_dcipher_log_debug_adds_one_handler_to_our_logger_at_construction_only() -> None:
    code = """
        import logging, os
        root_before = list(logging.getLogger().handlers)
        import luco_client.workflows as w
        pkg = logging.getLogger("luco_client")
        assert not [h for h in pkg.handlers if not isinstance(h, logging.NullHandler)], "configured at import"
        os.environ["DCIPHER_LOG"] = "debug"          # e.g. loaded by python-dotenv after the import
        w.Dcipher("k-0123456789", base_url="http://127.0.0.1:9")
        w.Dcipher("k-0123456789", base_url="http://127.0.0.1:9")
        handlers = [h for h in pkg.handlers if not isinstance(h, logging.NullHandler)]
        assert len(handlers) == 1 and handlers[0].level == logging.DEBUG and pkg.level == logging.DEBUG
        assert logging.getLogger().handlers == root_before and logging.getLogger().level == logging.WARNING
        assert logging.getLogger("urllib3").level == logging.NOTSET   # dcipher forced it to WARNING
        logging.getLogger("luco_client.workflows").debug("visible %s", "line")
        print("ok")
    """
    done = _run(code, {})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"  # stdout stays the program's own
    assert "[DEBUG] luco_client.workflows: visible line" in done.stderr


def test_a_misspelt_dcipher_log_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DCIPHER_LOG", "verbose")
    with pytest.raises(ConfigurationError, match="DCIPHER_LOG='verbose' is not a log level; use one of critical"):
        Dcipher("k-0123456789")


def test_the_key_never_reaches_the_logs_even_at_debug(api: WorkflowsServer, make_client: MakeClient,
                                                      capture_logs: t.Any, tmp_path: t.Any) -> None:
    with capture_logs("", logging.DEBUG) as records:
        make_client(clock=FakeClock()).run_flow("multi", {"p": 1}, save_path=str(tmp_path / "o.json"))
    assert records
    text = "\n".join(r.getMessage() + " " + str(vars(r)) for r in records)
    assert api.api_key not in text
    signatures = [u.split("Signature=")[1] for u in api.runs("multi")[0].urls]
    assert not any(s in text for s in signatures)  # pre-signed URLs are credentials too
    events = {getattr(r, "luco_event", None) for r in records}
    assert {"workflow.started", "workflow.status", "workflow.saved"} <= events
