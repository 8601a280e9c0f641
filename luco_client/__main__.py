"""python -m luco_client: the luco-client command line."""

import sys

from luco_client.cli import main

sys.exit(main())
