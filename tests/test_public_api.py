"""The public API: one top level that agrees with the subpackages, public paths, docstrings."""

from __future__ import annotations

import importlib
import os

import pytest

import luco_client

SUBPACKAGES = ["luco_client.transport", "luco_client.client", "luco_client.errors", "luco_client.events",
               "luco_client.stats", "luco_client.reports"]
PUBLIC_MODULES = [*SUBPACKAGES, "luco_client.testing", "luco_client.luco", "luco_client.workflows",
                  "luco_client.workflows.exceptions"]


@pytest.mark.parametrize("name", SUBPACKAGES)
def test_the_top_level_exports_every_public_name_of_the_subpackages(name: str) -> None:
    module = importlib.import_module(name)
    for public in module.__all__:
        assert public in luco_client.__all__, f"{name}.{public} is not in luco_client.__all__"
        assert getattr(luco_client, public) is getattr(module, public)


def test_the_top_level_names_exist_once() -> None:
    assert len(luco_client.__all__) == len(set(luco_client.__all__))
    for public in luco_client.__all__:
        assert hasattr(luco_client, public), public


@pytest.mark.parametrize("name", PUBLIC_MODULES)
def test_public_names_carry_public_paths_and_docstrings(name: str) -> None:
    module = importlib.import_module(name)
    for public in module.__all__:
        obj = getattr(module, public)
        if not callable(obj):
            continue
        where = getattr(obj, "__module__", "") or ""
        assert "._" not in where, f"{name}.{public} says it lives in {where}"
        assert (obj.__doc__ or "").strip(), f"{name}.{public} has no docstring"


def test_the_package_is_typed() -> None:
    assert os.path.exists(os.path.join(os.path.dirname(luco_client.__file__), "py.typed"))
