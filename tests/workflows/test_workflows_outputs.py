"""Outputs: named as dcipher names them, saved with save_path alone, checked before the run."""

from __future__ import annotations

import json
import os
import pathlib
import typing as t

import pytest

from luco_client import ConfigurationError
from luco_client.testing import FakeClock, WorkflowsServer
from luco_client.workflows import Dcipher, output_paths

MakeClient = t.Callable[..., Dcipher]


@pytest.mark.parametrize("save_path,count,single,expected", [
    ("out.json", 1, False, ["out.json"]),
    ("out.json", 1, True, ["out.json"]),
    ("out.json", 2, False, ["out_0.json", "out_1.json"]),
    ("out.tar.gz", 2, False, ["out.tar_0.gz", "out.tar_1.gz"]),
    ("output", 3, False, ["output_0", "output_1", "output_2"]),
    ("dir.v2/output", 2, False, ["dir.v2/output_0", "dir.v2/output_1"]),
    ("out.json", 0, False, []),
])
def test_output_names_follow_dcipher(save_path: str, count: int, single: bool, expected: t.List[str]) -> None:
    assert output_paths(save_path, count, single) == expected
    assert output_paths(pathlib.Path(save_path), count, single) == expected  # a PathLike works too


def test_save_path_alone_waits_and_saves(api: WorkflowsServer, make_client: MakeClient, tmp_path: pathlib.Path,
                                         clock: FakeClock) -> None:
    """dcipher's README passes save_path without wait_until_completion and expects a file;
    dcipher 0.3.5 saved nothing. Here it waits and saves."""
    target = tmp_path / "output.json"
    result = make_client(clock=clock).run_flow("now", {"param1": "x"}, save_path=str(target))
    body = json.loads(target.read_text())
    assert body == {"taskId": result["task_id"], "output": 0, "params": {"param1": "x"}}
    assert result.paths == (str(target),) and result.downloads[0].size == target.stat().st_size
    assert result.status == "SUCCEEDED"


def test_several_outputs_are_numbered_and_each_has_its_own_content(
        api: WorkflowsServer, make_client: MakeClient, tmp_path: pathlib.Path, clock: FakeClock) -> None:
    result = make_client(clock=clock).run_flow("multi", {}, save_path=str(tmp_path / "out.json"))
    names = sorted(os.listdir(tmp_path))
    assert names == ["out_0.json", "out_1.json", "out_2.json"]  # and no staging file left behind
    for i in range(3):
        assert json.loads((tmp_path / f"out_{i}.json").read_text())["output"] == i
    assert [os.path.basename(p) for p in result.paths] == names


@pytest.mark.parametrize("flow,files", [("single", ["out.json"]), ("now", ["out.json"]), ("none", [])])
def test_one_url_in_either_form_gives_exactly_save_path_and_none_gives_nothing(
        api: WorkflowsServer, make_client: MakeClient, tmp_path: pathlib.Path, clock: FakeClock, *, flow: str,
        files: t.List[str]) -> None:
    result = make_client(clock=clock).run_flow(flow, {}, save_path=str(tmp_path / "out.json"))
    assert sorted(os.listdir(tmp_path)) == files
    assert result.status == "SUCCEEDED" and len(result.paths) == len(files)


def test_wait_without_save_path_saves_nothing(api: WorkflowsServer, make_client: MakeClient, tmp_path: pathlib.Path,
                                              clock: FakeClock) -> None:
    result = make_client(clock=clock).run_flow("now", {}, wait_until_completion=True)
    assert result.status == "SUCCEEDED" and result.paths == () and api.storage.object_requests() == []


@pytest.mark.parametrize("bad", ["missing-dir/out.json", "."])
def test_a_bad_save_path_fails_before_the_run_starts(api: WorkflowsServer, make_client: MakeClient,
                                                     tmp_path: pathlib.Path, bad: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        make_client().run_flow("now", {}, save_path=str(tmp_path / bad))
    assert str(tmp_path) in str(info.value)
    assert api.count() == 0  # nothing was started: a typo does not cost a run


def test_a_numbered_target_that_is_a_directory_is_refused_before_anything_is_saved(
        api: WorkflowsServer, make_client: MakeClient, tmp_path: pathlib.Path, clock: FakeClock) -> None:
    (tmp_path / "out_1.json").mkdir()
    client = make_client(clock=clock)
    run = client.run_flow("multi", {})
    with pytest.raises(ConfigurationError, match="directories"):
        client.wait_for_flow("multi", run, str(tmp_path / "out.json"))
    assert sorted(os.listdir(tmp_path)) == ["out_1.json"] and api.storage.object_requests() == []
