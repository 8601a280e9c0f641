"""The workflow runner's errors under dcipher's module name (``dcipher.exceptions``).

``from dcipher.exceptions import WorkflowFailedException`` becomes
``from luco_client.workflows.exceptions import WorkflowFailedException``. The classes are
those of :mod:`luco_client.workflows` (see there for the tree).
"""

from luco_client.workflows import _errors
from luco_client.workflows._errors import *  # noqa: F403 - the names are defined once, in _errors

__all__ = list(_errors.__all__)
