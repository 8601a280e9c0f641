"""Setuptools shim: the metadata lives in setup.cfg; the version is read from
luco_client/_version.py as text, so building never imports the package (old setuptools
on Python 3.8 would import it, and its dependencies, to find ``__version__``)."""

import pathlib
import re

from setuptools import setup

VERSION = re.search(r'__version__ = "([^"]+)"',
                    (pathlib.Path(__file__).parent / "luco_client" / "_version.py").read_text()).group(1)

setup(version=VERSION)
