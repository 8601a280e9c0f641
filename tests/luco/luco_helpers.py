"""Names shared by the Luco tests (imported as a plain module: tests/luco is on sys.path)."""

from __future__ import annotations

import typing as t

from luco_client import LucoApi

#: The seeded scheduled slot sequence (id 101, slots 1001-1003 with submissions 5001-5003).
SAP = {"Source": "SAP", "Table": "Orders"}
#: The seeded unscheduled slot sequence (id 102).
UPLOADS = {"Source": "Manual", "Table": "Uploads"}

#: ``make_api(**kwargs) -> LucoApi`` (the fixture of conftest.py).
MakeApi = t.Callable[..., LucoApi]
