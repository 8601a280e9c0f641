"""docs/coming-from-gracy.rst: every code block runs, in order, in one namespace (the page
starts a fake PokeAPI and its blocks assert what they show)."""

from __future__ import annotations

import os
import re
import textwrap

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PAGE = os.path.join(ROOT, "docs", "coming-from-gracy.rst")
_BLOCK = re.compile(r"^\.\. code-block:: python\n\n((?:(?:   .*)?\n)+)", re.MULTILINE)


def blocks() -> list:
    with open(PAGE, encoding="utf-8") as page:
        text = page.read()
    return [textwrap.dedent(match.group(1)) for match in _BLOCK.finditer(text)]


def test_the_page_has_runnable_examples_and_they_all_run() -> None:
    found = blocks()
    assert len(found) >= 5, "the page lost its examples"
    namespace: dict = {"__name__": "coming_from_gracy"}
    for number, source in enumerate(found, 1):
        exec(compile(source, f"{PAGE} (block {number})", "exec"), namespace)  # our own docs, run as written
    assert "server" in namespace and namespace["server"]._server is None  # the last block closed it
