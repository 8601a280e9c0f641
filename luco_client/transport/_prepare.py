"""requests' request preparation, step for step, without its per-call typing checks.

``requests.Session.prepare_request`` merges the request's headers, params and auth with the
session's through ``merge_setting``. Since requests 2.34 that merge asks
``isinstance(value, SupportsItems)``, a ``typing.Protocol`` check which Python before 3.12
answers by walking the protocol's attributes on every call: six of them per request, a tenth
of a warm call's time on a loopback connection. :func:`merge_setting` merges the same way
with ``collections.abc.Mapping`` (what requests itself checked before 2.34);
:func:`prepare_request` is requests' own sequence of steps around it, and hands a mapping
of query parameters to requests already encoded, by requests' own rules
(:func:`encode_params`), which skips two more such checks.
"""

from __future__ import annotations

import typing as t
from collections import OrderedDict
from collections.abc import Mapping
from http import cookiejar as cookielib
from urllib.parse import urlencode

import requests
from requests.cookies import RequestsCookieJar, cookiejar_from_dict, merge_cookies
from requests.structures import CaseInsensitiveDict

__all__ = ["encode_params", "merge_setting", "prepare_request"]


def _pairs(value: t.Any) -> t.List[t.Tuple[t.Any, t.Any]]:
    """``requests.utils.to_key_val_list`` for a mapping (the only input it gets here)."""
    return list(value.items())


def merge_setting(request_setting: t.Any, session_setting: t.Any, dict_class: t.Any = OrderedDict) -> t.Any:
    """``requests.sessions.merge_setting``: the request's setting over the session's; two
    mappings are merged into ``dict_class`` and keys set to ``None`` on the request removed."""
    if session_setting is None:
        return request_setting
    if request_setting is None:
        return session_setting
    if not (isinstance(session_setting, Mapping) and isinstance(request_setting, Mapping)):
        return request_setting
    merged = dict_class(_pairs(session_setting))
    merged.update(_pairs(request_setting))
    for key in [k for k, v in merged.items() if v is None]:
        del merged[key]
    return merged


def encode_params(params: t.Mapping[t.Any, t.Any]) -> str:
    """``requests.PreparedRequest._encode_params`` for a mapping: each value, or each item
    of a list value, ``None`` left out, UTF-8, form-encoded in order."""
    result = []
    for key, given in params.items():
        values = [given] if isinstance(given, (str, bytes)) or not hasattr(given, "__iter__") else given
        for value in values:
            if value is not None:
                result.append((key.encode("utf-8") if isinstance(key, str) else key,
                               value.encode("utf-8") if isinstance(value, str) else value))
    return urlencode(result, doseq=True)


def _merge_hooks(request_hooks: t.Any, session_hooks: t.Any) -> t.Any:
    """``requests.sessions.merge_hooks``: an empty response hook list on either side does
    not remove the other side's hooks."""
    if session_hooks is None or session_hooks.get("response") == []:
        return request_hooks
    if request_hooks is None or request_hooks.get("response") == []:
        return session_hooks
    return merge_setting(request_hooks, session_hooks)


def prepare_request(session: requests.Session, request: requests.Request,
                    netrc_auth: t.Callable[[str], t.Any]) -> requests.PreparedRequest:
    """``requests.Session.prepare_request`` with :func:`merge_setting`; ``netrc_auth(url)``
    looks up the ``.netrc`` credentials (requests' ``get_netrc_auth``, or a cached answer)."""
    cookies = request.cookies or {}
    if not isinstance(cookies, cookielib.CookieJar):
        cookies = cookiejar_from_dict(cookies)
    merged_cookies = merge_cookies(merge_cookies(RequestsCookieJar(), session.cookies), cookies)
    auth = request.auth
    if session.trust_env and not auth and not session.auth:
        auth = netrc_auth(request.url)
    params = merge_setting(request.params, session.params)
    if isinstance(params, Mapping):
        params = encode_params(params)
    prepared = requests.PreparedRequest()
    prepared.prepare(
        method=request.method.upper(),
        url=request.url,
        files=request.files,
        data=request.data,
        json=request.json,
        headers=merge_setting(request.headers, session.headers, dict_class=CaseInsensitiveDict),
        params=params,
        auth=merge_setting(auth, session.auth),
        cookies=merged_cookies,
        hooks=_merge_hooks(request.hooks, session.hooks),
    )
    return prepared
