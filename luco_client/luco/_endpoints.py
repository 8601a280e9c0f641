"""The Luco API as one endpoint table (spec §3), with the settings where endpoints differ.

Every call of :class:`~luco_client.luco.LucoApi` names one of these endpoints; all of them
share the client's one :class:`~luco_client.client.Settings` (retries, timeout, throttle,
log events) and differ only where stated here: which statuses are accepted, how the body
is parsed, and whether a call may be repeated. Path placeholders are escaped as one path
segment each (LucoPy pasted ``str(id)`` into the path unescaped).
"""

from __future__ import annotations

import typing as t

from luco_client.client import Endpoint, Settings, json_body

if t.TYPE_CHECKING:
    import requests

__all__ = ["LucoEndpoints", "token_endpoint"]


def accepted(response: requests.Response) -> bool:
    """The result of a write whose body LucoPy never read: ``True`` (any success)."""
    return True


#: Reads: GET, repeated safely by the retry policy; the body is JSON.
_READ = Settings(parser=json_body)
#: Writes whose answer carries an id (JSON); never repeated blindly.
_CREATE = Settings(parser=json_body, idempotent=False)
#: Writes whose answer is not read; never repeated blindly.
_WRITE = Settings(parser=accepted, idempotent=False)

_SUBMISSION = "/slots/{SLOT_ID}/submissions/{SUBMISSION_ID}"


class LucoEndpoints:
    """The endpoints E1-E19 of the Luco API (names as in the wire spec, §3).

    Use them with :meth:`~luco_client.luco.LucoApi.explain` to see the settings a call
    gets: ``api.explain("find_slot_id", endpoint=LucoEndpoints.E1_FIND_SLOT)``.
    """

    #: E1: find a slot by tag and slot-sequence name; a 404 is an answer (no such slot).
    E1_FIND_SLOT = Endpoint("/slots/search/", Settings(allowed_status_code=404,
                                                       parser={"default": json_body, 404: None}))
    #: E2: create an unscheduled slot (body: tag and definition array).
    E2_CREATE_SLOT = Endpoint("/slots/", _CREATE)
    #: E3: create a submission (no body).
    E3_CREATE_SUBMISSION = Endpoint("/slots/{SLOT_ID}/submissions", _CREATE)
    #: E4: the submission definition (``includeDelivery=True``).
    E4_SUBMISSION = Endpoint("/v2" + _SUBMISSION, _READ)
    #: E5: read metrics (the unversioned route).
    E5_GET_METRICS = Endpoint(_SUBMISSION + "/metrics", _READ)
    #: E6: write metrics (the v2 route).
    E6_SUBMIT_METRICS = Endpoint("/v2" + _SUBMISSION + "/metrics", _WRITE)
    #: E7: read data-quality results.
    E7_GET_QUALITY = Endpoint("/v2" + _SUBMISSION + "/quality", _READ)
    #: E8: write data-quality results, v1 (great_expectations raw).
    E8_SUBMIT_QUALITY_V1 = Endpoint(_SUBMISSION + "/quality", _WRITE)
    #: E9: write data-quality results, v2 (checks and collections).
    E9_SUBMIT_QUALITY_V2 = Endpoint("/v2" + _SUBMISSION + "/quality", _WRITE)
    #: E10: write run-environment details.
    E10_SUBMIT_RUN_ENVIRONMENT = Endpoint(_SUBMISSION + "/runenvironment", _WRITE)
    #: E11: write a submission status.
    E11_SUBMIT_STATUS = Endpoint(_SUBMISSION + "/status", _WRITE)
    #: E12: search relative to a submission.
    E12_SEARCH_FROM_SUBMISSION = Endpoint(_SUBMISSION + "/search", _READ)
    #: E13: submissions (and slots) of a slot sequence.
    E13_SEQUENCE_SUBMISSIONS = Endpoint("/slotsequences/submissions", _READ)
    #: E14: find a slot-sequence id by name.
    E14_FIND_SLOT_SEQUENCE = Endpoint("/slotsequences/search/", _READ)
    #: E15: slot-sequence detail (parameters).
    E15_SLOT_SEQUENCE = Endpoint("/v2/slotsequences/{SLOT_SEQUENCE_ID}", _READ)
    #: E16: create or update slot sequences.
    E16_IMPORT_SLOT_SEQUENCES = Endpoint("/v2/slotsequences/import", _CREATE)
    #: E17: export slot-sequence configurations.
    E17_EXPORT_SLOT_SEQUENCES = Endpoint("/v2/slotsequences/export", _READ)
    #: E18: paged slot-sequence overview.
    E18_SLOT_SEQUENCES_OVERVIEW = Endpoint("/v2/slotsequences/overview", _READ)
    #: E19: paged slot overview.
    E19_SLOTS_OVERVIEW = Endpoint("/v2/slots/overview", _READ)


def token_endpoint(authority: str) -> Endpoint:
    """T1, the Azure AD token endpoint of ``authority`` (``https://login.microsoftonline.com``):
    repeating a token request is harmless, so it is retried like a read."""
    return Endpoint(authority.rstrip("/") + "/{TENANT}/oauth2/v2.0/token",
                    Settings(parser=json_body, idempotent=True), name="T1_TOKEN")
