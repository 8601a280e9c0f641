"""The Luco client: a drop-in for the LucoPy 1.3.14 SDK on luco_client's graceful transport.

Replace ``from LucoPy import LucoApi`` with ``from luco_client import LucoApi`` (or
``from luco_client.luco import LucoApi``); the rest of the script stays as it is::

    from luco_client import LucoApi

    with LucoApi(base_url, tenant_id, client_id, client_secret, resource_id) as api:
        slot_id = api.find_slot_id("2024-01-31", {"Source": "SAP", "Table": "Orders"})
        submission = api.create_submission(slot_id, "Extract", {"platform": "Azure Data Factory"})
        submission.submit_metrics("Extract", metrics={"rows": 1200})
        submission.submit_completed_status()

Public names::

    LucoApi, Submission                        the client and one submission
    ApiException, AuthException, DataQualityException   LucoPy's exceptions, in luco_client's tree
    LucoLookupError, ParameterNotFoundError    "not found" answers (no submission, no parameter)
    LucoEndpoints                              the endpoint table (for explain())
    get_auth                                   credentials from a JSON file
    data_quality                               CheckResult, CollectionResult, great_expectations converters

This package never imports ``requests`` at run time; it calls Luco through
:class:`~luco_client.client.ApiClient`.
"""

from luco_client.luco import data_quality
from luco_client.luco._api import LucoApi
from luco_client.luco._credentials_file import get_auth
from luco_client.luco._endpoints import LucoEndpoints
from luco_client.luco._errors import (
    ApiException,
    AuthException,
    DataQualityException,
    LucoLookupError,
    ParameterNotFoundError,
)
from luco_client.luco._submission import Submission

__all__ = [
    "LucoApi",
    "Submission",
    "ApiException",
    "AuthException",
    "DataQualityException",
    "LucoLookupError",
    "ParameterNotFoundError",
    "LucoEndpoints",
    "get_auth",
    "data_quality",
]
