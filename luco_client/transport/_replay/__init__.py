"""Record/replay on requests-cache's storage backends and response model (private package).

Layout: ``canonical`` (scrubbing and the matching form), ``storage`` (where recordings
live), ``replay`` (the :class:`Replay` mode object the adapter consults on each attempt).
"""

from luco_client.transport._replay.replay import MODES, Replay
from luco_client.transport._replay.storage import (
    JSONDirReplayStorage,
    RedisReplayStorage,
    ReplayStorage,
    SQLiteReplayStorage,
)

__all__ = ["Replay", "MODES", "ReplayStorage", "SQLiteReplayStorage", "JSONDirReplayStorage", "RedisReplayStorage"]
