"""Run every benchmark: ``python bench/run.py`` (add ``--smoke`` for a seconds-long check
that they still run; its figures are not meaningful). Prints the ``BENCH`` lines of each."""

from __future__ import annotations

import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SMOKE = {
    "transport.py": ["--calls", "300", "--rounds", "2", "--rate", "20", "--seconds", "1", "--ir-calls", "0"],
    "replay.py": ["--calls", "200", "--rounds", "2"],
    "download.py": ["--mib", "16", "--rounds", "1"],
    "workflows.py": ["--smoke"],
    "luco.py": ["--smoke"],
}


def main() -> int:
    smoke = "--smoke" in sys.argv[1:]
    for script, smoke_args in SMOKE.items():
        args = smoke_args if smoke else []
        done = subprocess.run([sys.executable, os.path.join(HERE, script), *args], check=False)
        if done.returncode != 0:
            return done.returncode
    return 0


if __name__ == "__main__":
    sys.exit(main())
