"""Checks and collections: Luco's data-quality format (the v2 quality body, spec §7.2)."""

from __future__ import annotations

import json
import typing as t

from luco_client.luco._errors import DataQualityException

__all__ = ["CheckResult", "CollectionResult", "resolve_object_from_json_dict", "fails_pipeline"]

_CHECK_OPTIONAL = ("checkArgs", "onFail", "referenceUrl", "tags", "observed", "metadata")
_COLLECTION_OPTIONAL = ("success", "name", "start", "tool", "toolVersion", "referenceUrl", "tags", "dataSet",
                        "metadata")


def fails_pipeline(success: t.Any, on_fail: t.Any) -> bool:
    """Whether a check result asks to stop the pipeline: it failed and its ``onFail`` says
    ``{"Action": "fail"}`` or ``{"action": "fail"}`` (any letter case). A failed check
    without ``onFail`` does not (LucoPy raised ``TypeError`` there, and ignored the
    lower-case ``action`` its own README documents)."""
    if success or not isinstance(on_fail, t.Mapping):
        return False
    action = on_fail.get("Action", on_fail.get("action"))
    return isinstance(action, str) and action.lower() == "fail"


def _mapping(results: t.Any, what: str) -> t.Mapping[str, t.Any]:
    if isinstance(results, t.Mapping):
        return results
    raise DataQualityException(f"a {what} must be a dict, got {type(results).__name__}")


class _Result:
    """What checks and collections share: the required members, then each truthy optional one."""

    _OPTIONAL: t.ClassVar[t.Tuple[str, ...]] = ()

    def _required(self) -> t.Dict[str, t.Any]:  # pragma: no cover - abstract
        raise NotImplementedError

    def to_dict(self) -> t.Dict[str, t.Any]:
        """The required members, then each optional member that is truthy (as LucoPy sends them)."""
        result = self._required()
        for name in self._OPTIONAL:
            if getattr(self, name):
                result[name] = getattr(self, name)
        return result

    def to_json_dict(self) -> t.Dict[str, t.Any]:
        """The body sent to Luco (same as :meth:`to_dict`)."""
        return self.to_dict()

    def __str__(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)


class CheckResult(_Result):
    """One data-quality check.

    :param results: a dict with the required ``check`` (a description that may hold
        ``$name`` placeholders, str) and ``success`` (bool), and the optional
        ``checkArgs``, ``onFail``, ``referenceUrl``, ``tags``, ``observed``, ``metadata``;
        other members are dropped. A missing or ill-typed required member raises
        :class:`~luco_client.luco.DataQualityException`.

    Optional members are attributes (``None`` when absent) and appear in :meth:`to_dict`
    only when truthy, as LucoPy sends them.
    """

    _OPTIONAL = _CHECK_OPTIONAL
    check: str
    success: bool

    def __init__(self, results: t.Mapping[str, t.Any]) -> None:
        results = _mapping(results, "check")
        for name in ("check", "success"):
            if name not in results:
                raise DataQualityException(f"Required arg not present: {name}")
        if not isinstance(results["check"], str) or not results["check"]:
            raise DataQualityException(f"check must be a non-empty string, got {results['check']!r}")
        if not isinstance(results["success"], bool):
            raise DataQualityException(f"success must be True or False, got {results['success']!r}")
        self.check = results["check"]
        self.success = results["success"]
        self.checkArgs: t.Any = results.get("checkArgs")
        self.onFail: t.Any = results.get("onFail")
        self.referenceUrl: t.Any = results.get("referenceUrl")
        self.tags: t.Any = results.get("tags")
        self.observed: t.Any = results.get("observed")
        self.metadata: t.Any = results.get("metadata")

    def _required(self) -> t.Dict[str, t.Any]:
        return {"check": self.check, "success": self.success}

    def is_exception_thrown(self) -> bool:
        """True when the check failed and its ``onFail`` action is ``fail`` (see
        :func:`fails_pipeline`): then ``auto_determine_action`` sends ``Cancelled``."""
        return fails_pipeline(self.success, self.onFail)

    def __repr__(self) -> str:
        return f"CheckResult(check={self.check!r}, success={self.success!r})"


class CollectionResult(_Result):
    """A collection of checks (a suite run).

    :param results: a dict with the required ``checks`` (a list of check dicts or
        :class:`CheckResult` objects) and the optional ``success``, ``name``, ``start``,
        ``tool``, ``toolVersion``, ``referenceUrl``, ``tags``, ``dataSet``, ``metadata``;
        other members (``end`` included) are dropped, as LucoPy does.
    """

    _OPTIONAL = _COLLECTION_OPTIONAL
    checks: t.List[CheckResult]

    def __init__(self, results: t.Mapping[str, t.Any]) -> None:
        results = _mapping(results, "collection")
        if "checks" not in results:
            raise DataQualityException("Required arg not present: checks")
        checks = results["checks"]
        if not isinstance(checks, (list, tuple)):
            raise DataQualityException(f"checks must be a list, got {type(checks).__name__}")
        self.checks = [c if isinstance(c, CheckResult) else CheckResult(c) for c in checks]
        self.success: t.Any = results.get("success")
        self.name: t.Any = results.get("name")
        self.start: t.Any = results.get("start")
        self.tool: t.Any = results.get("tool")
        self.toolVersion: t.Any = results.get("toolVersion")
        self.referenceUrl: t.Any = results.get("referenceUrl")
        self.tags: t.Any = results.get("tags")
        self.dataSet: t.Any = results.get("dataSet")
        self.metadata: t.Any = results.get("metadata")

    def _required(self) -> t.Dict[str, t.Any]:
        return {"checks": [check.to_dict() for check in self.checks]}

    def is_exception_thrown(self, error_on_fail: bool = True) -> bool:
        """True when any check asks to stop the pipeline; always False with
        ``error_on_fail=False``."""
        return bool(error_on_fail) and any(check.is_exception_thrown() for check in self.checks)

    def __repr__(self) -> str:
        return f"CollectionResult(name={self.name!r}, checks={len(self.checks)})"


def resolve_object_from_json_dict(json_dict: t.Union[str, t.Mapping[str, t.Any]]) -> t.Union[CheckResult,
                                                                                                 CollectionResult]:
    """A :class:`CheckResult` (truthy ``check``) or :class:`CollectionResult` (truthy
    ``checks``) from a dict or its JSON text. Anything else raises
    :class:`~luco_client.luco.DataQualityException` (LucoPy *returned* the exception, which
    then failed with an ``AttributeError``)."""
    if isinstance(json_dict, str):
        try:
            json_dict = json.loads(json_dict)
        except ValueError as exc:
            raise DataQualityException(f"quality results are not valid JSON: {exc}") from None
    data = _mapping(json_dict, "check or collection")
    if data.get("check"):
        return CheckResult(data)
    if data.get("checks"):
        return CollectionResult(data)
    raise DataQualityException("Could not resolve object from json dict: it needs a 'check' (a single check) "
                               "or a non-empty 'checks' list (a collection)")
