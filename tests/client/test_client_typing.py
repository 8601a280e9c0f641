"""Typed verbs are understood by mypy: ``get[Model]`` is Model, ``get[Model, None]`` Optional[Model]."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import typing as t

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
BAD = textwrap.dedent("""
    from __future__ import annotations
    from luco_client import CallOptions
    from luco_client.client import ApiClient, Settings, graceful

    class Model:
        pass

    class Api(ApiClient):
        def one(self) -> str:
            return self.get[Model]("/x")  # Model is not str

        def maybe(self) -> Model:
            return self.get[Model, None]("/x")  # Optional[Model] is not Model

        def anything(self) -> str:
            return self.get("/x")  # the untyped verb is Any: accepted

        @graceful(retyr=None)  # a misspelled setting
        def typo(self) -> None:
            pass

    Settings(deadline="soon")  # not seconds
    CallOptions(idempotent="yes")  # not a bool
""")


@pytest.fixture(scope="module")
def mypy_output(tmp_path_factory: pytest.TempPathFactory) -> t.List[str]:
    """mypy's error lines for the good file (typing_check.py) and a bad one, in one run."""
    try:
        import mypy  # noqa: F401
    except ImportError:
        if os.environ.get("LUCO_CLIENT_REQUIRE_MYPY") == "1":
            raise
        pytest.skip("mypy is not installed in this interpreter (the lint extra installs it)")
    bad = tmp_path_factory.mktemp("typing") / "bad_typing.py"
    bad.write_text(BAD)
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--no-incremental", "--disallow-untyped-defs", "--follow-imports=silent",
         os.path.join(HERE, "typing_check.py"), str(bad)],
        capture_output=True, text=True, cwd=ROOT, check=False)
    assert result.returncode in (0, 1), result.stderr
    return [line for line in result.stdout.splitlines() if ": error:" in line]


def test_typed_verbs_check_clean(mypy_output: t.List[str]) -> None:
    assert [line for line in mypy_output if "typing_check.py" in line] == []


def test_wrong_types_are_reported(mypy_output: t.List[str]) -> None:
    errors = [line for line in mypy_output if "bad_typing.py" in line]
    assert len(errors) == 5, errors
    assert 'Incompatible return value type (got "Model", expected "str")' in errors[0]
    assert 'got "Model | None", expected "Model"' in errors[1] or 'got "Optional[Model]"' in errors[1]
    assert 'Unexpected keyword argument "retyr"' in errors[2]
    assert '"deadline"' in errors[3] and '"idempotent"' in errors[4]
