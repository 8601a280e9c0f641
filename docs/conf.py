"""Sphinx configuration for luco_client (built with -W in CI)."""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.abspath(".."))

from luco_client import __version__

project = "luco_client"
author = "the luco_client team"
copyright = "2026, the luco_client team"
release = version = __version__

extensions = ["sphinx.ext.autodoc", "sphinx.ext.viewcode", "sphinx.ext.intersphinx"]
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"members": True, "show-inheritance": True}
intersphinx_mapping: dict = {}
nitpicky = False
exclude_patterns = ["_build"]
html_theme = "alabaster"
