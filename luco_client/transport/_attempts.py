"""The attempt loop: one logical call, all its attempts.

The loop sits above a narrow seam, :class:`AttemptTransport`: the object that sends one
attempt (``send_once``: one request through urllib3, no retries) and holds what the
attempts of a session share (default settings, stats, concurrency slots, pauses, hooks,
replay, clock). :class:`~luco_client.transport.GracefulAdapter` is that object; the loop
never imports it.

Order of operations for each attempt:

1. check the deadline; run the ``before`` hooks (outside any slot, in the bypass scope);
   wait out pauses set by backoff hooks;
2. take a slot of every matching concurrency limit (before the throttle, so that a throttle
   token is never spent by a request that then waits for a slot);
3. wait for the throttle (every matching rule admits one more request);
4. send once through urllib3 (no hidden inner retries) and read the body (unless
   streaming), timed;
5. run the validators;
6. release the slots, record the attempt in the stats, emit events;
7. on failure, ask the retry policy: retry after a delay, or stop with a typed error (or
   the last response, if the policy says so);
8. run the ``after`` hooks (with the response, or the typed error, and what comes next),
   then sleep before the retry.

A call made inside a hook or :func:`~luco_client.transport.bypass` skips hooks, pauses,
slots, the throttle and retries: exactly one attempt.
"""

from __future__ import annotations

import logging
import time
import typing as t
import uuid

import requests

from luco_client._clock import Clock
from luco_client._fields import Layer, layered
from luco_client._redact import redact_text, redact_url, scrub_secrets
from luco_client.errors import (
    AttemptRecord,
    DeadlineExceededError,
    InvalidRequestError,
    LucoClientError,
    Phase,
    PossiblyAppliedWriteError,
    ReadError,
    ReplayStorageError,
    RetryAfterTooLongError,
    ThrottleBackendError,
    TransportError,
)
from luco_client.events import EventKind, LogEvent, LogLevel, emit
from luco_client.stats import Stats
from luco_client.transport._bodies import rewind_for_resend
from luco_client.transport._concurrency import ConcurrencyGate, SlotTimeout
from luco_client.transport._hooks import AttemptInfo, PauseBoard, RetryState, bypass, bypassed
from luco_client.transport._options import DEFAULT_OPTIONS, DEFAULT_TIMEOUT, CallOptions, CallSettings, Timeout
from luco_client.transport._phases import classify, describe_input_error
from luco_client.transport._replay import Replay
from luco_client.transport._replay.replay import rewind_body
from luco_client.transport._responses import status_error
from luco_client.transport._retry import SAFE_METHODS, Action, Decision, GracefulRetry
from luco_client.transport._streams import GracefulResponse, StreamWatch
from luco_client.transport._throttle import ThrottleTimeout
from luco_client.transport._urls import derive_template, path_of
from luco_client.transport._wire import Wire, begin_attempt, end_attempt

__all__ = ["CallRunner", "AttemptTransport"]

log = logging.getLogger("luco_client.transport")
_DECISIONS = LogEvent(LogLevel.DEBUG)


class _Outcome:
    """What one attempt produced: a response, an error, or both (validator failure)."""

    __slots__ = ("elapsed", "error", "phase", "replay", "response", "started")

    def __init__(self, response: t.Optional[requests.Response], error: t.Optional[BaseException],
                 phase: Phase, started: float, elapsed: float, *, replay: bool = False) -> None:
        self.response, self.error, self.phase = response, error, phase
        self.started, self.elapsed, self.replay = started, elapsed, replay

    @property
    def status(self) -> t.Optional[int]:
        return None if self.response is None else self.response.status_code

    @property
    def cause(self) -> str:
        if isinstance(self.error, TransportError):
            return f"[Request Error: {type(self.error).__name__}: {self.error.message}]"
        if self.error is not None:
            return f"[Validation Error: {type(self.error).__name__}: {redact_text(str(self.error))[:200]}]"
        return f"[Bad Status Code: {self.status}]"


class AttemptTransport(t.Protocol):
    """The seam below the loop (implemented by :class:`~luco_client.transport.GracefulAdapter`)."""

    #: The session's own settings, every field of :class:`CallSettings` set.
    defaults: CallSettings
    #: ``defaults`` merged: ``{field: value}`` (a call that sets nothing uses them as they are).
    default_values: t.Dict[str, t.Any]
    hooks: t.Tuple[t.Any, ...]
    stats: Stats
    gate: ConcurrencyGate
    pauses: PauseBoard
    clock: Clock
    idempotency_header: t.Optional[str]
    replay: t.Optional[Replay]

    def send_once(self, request: requests.PreparedRequest, *, preload_limit: t.Optional[int] = None,
                  **kwargs: t.Any) -> requests.Response:
        """One attempt: one request on the wire, no retries; the body read unless streaming
        (a streamed body is read for recording when ``preload_limit`` bytes or fewer)."""


_NAMES = CallSettings.setting_fields()
#: Bytes up to which a download's body is recorded in record mode (a larger one, or one of
#: unknown length, is streamed to its file unrecorded: a recording holds bodies in memory).
RECORDED_DOWNLOAD_LIMIT = 8 << 20


class CallRunner:
    """State of one logical call; :meth:`run` performs it. Not shared between threads."""

    def __init__(self, adapter: AttemptTransport, request: requests.PreparedRequest,
                 options: CallOptions, timeout: t.Any) -> None:
        self.adapter = adapter
        self.request = request
        self.options = options
        self.clock = adapter.clock
        self.method = (request.method or "GET").upper()
        self.url = request.url or ""
        # The stats key and the UURL placeholder: registered secrets must not survive in it.
        self.template = scrub_secrets(options.url_template or derive_template(self.url))
        self.bypassed = bypassed()
        # The one merge: the call's own settings over the session's (done once for a call
        # that brings none).
        merged = adapter.default_values if options is DEFAULT_OPTIONS else layered(
            [Layer("session", adapter.defaults, "session"), Layer("call", options, "call")], _NAMES)[0]
        self.policy: t.Optional[GracefulRetry] = None if self.bypassed else merged["retry"]
        self.throttle = merged["throttling"]
        self.limits: t.Tuple[t.Any, ...] = merged["concurrent_requests"] or ()
        self.log_request = merged["log_request"]
        self.log_response = merged["log_response"]
        self.log_errors = merged["log_errors"]
        self.validators: t.Tuple[t.Any, ...] = merged["validators"] or ()
        self.idempotent_setting: t.Optional[bool] = merged["idempotent"]
        # Requests made from a hook run no hooks themselves (no recursion, no re-entry).
        self.hooks = () if self.bypassed else adapter.hooks + options.hooks if options.hooks else adapter.hooks
        self.timeout = Timeout.coerce(timeout, merged["timeout"] or DEFAULT_TIMEOUT)
        deadline = merged["deadline"] if merged["deadline"] is not None else (
            self.policy.deadline if self.policy is not None else None)
        self.started = self.clock.monotonic()
        self.deadline_at = None if deadline is None else self.started + deadline
        earlier = getattr(request, "luco_deadline_at", None)  # a redirect hop: the first hop's deadline
        if earlier is not None and (self.deadline_at is None or earlier < self.deadline_at):
            self.deadline_at = earlier
        elif self.deadline_at is not None:
            request.luco_deadline_at = self.deadline_at  # type: ignore[attr-defined]  # copied to the hops
        self.max_attempts = self.policy.max_attempts if self.policy is not None else 1
        self.attempts: t.List[AttemptRecord] = []
        self.number = 0  # the attempt running now (1-based)
        self.replay = adapter.replay
        self.replaying = False  # the attempt running now is served from a recording
        self._match: t.Optional[t.Tuple[t.Any, t.Any]] = None
        self._key: t.Optional[str] = None
        self._safe_url: t.Optional[str] = None
        self.consumer = options.consumer
        self.stream = False  # set by run(): the caller reads the body after the call returns
        self._wire: t.Optional[Wire] = None  # the evidence of the latest attempt
        self._add_idempotency_key()
        self.idempotent = self._is_idempotent()

    # ---------------------------------------------------------------- helpers

    @property
    def safe_url(self) -> str:
        if self._safe_url is None:
            self._safe_url = redact_url(self.url)
        return self._safe_url

    def _add_idempotency_key(self) -> None:
        header = self.adapter.idempotency_header
        if (header and self.method not in SAFE_METHODS and self.idempotent_setting is not False
                and header not in self.request.headers):
            # One key per logical call, reused by every attempt; the caller's key wins.
            self.request.headers[header] = uuid.uuid4().hex

    def _is_idempotent(self) -> bool:
        if self.idempotent_setting is not None:
            return self.idempotent_setting
        header = self.adapter.idempotency_header
        return self.method in SAFE_METHODS or bool(header and self.request.headers.get(header))

    def _is_write(self) -> bool:
        """A call whose repetition could change state twice (POST, PATCH, or declared unsafe)."""
        return self.method not in SAFE_METHODS or self.idempotent_setting is False

    def _remaining(self) -> t.Optional[float]:
        if self.deadline_at is None:
            return None
        return self.deadline_at - self.clock.monotonic()

    def _elapsed(self) -> float:
        return self.clock.monotonic() - self.started

    def fields(self) -> t.Dict[str, t.Any]:
        """Event placeholders of the current attempt (built only when an event is logged)."""
        endpoint, endpoint_template = self.options.endpoint, self.options.endpoint_template
        return {
            "URL": self.safe_url, "UURL": self.template,
            "ENDPOINT": redact_text(endpoint) if endpoint else path_of(self.safe_url),
            "UENDPOINT": endpoint_template or path_of(self.template), "METHOD": self.method, "CUR_ATTEMPT": self.number,
            "MAX_ATTEMPT": self.max_attempts, "REPLAY": "REPLAYED" if self.replaying else "",
            "IS_REPLAY": "TRUE" if self.replaying else "FALSE", "STATUS": "",
        }

    def _credential_names(self) -> t.FrozenSet[str]:
        names = getattr(self.request, "credential_headers", ())
        return frozenset(h.lower() for h in names) if names else frozenset()

    def _replay_match(self) -> t.Tuple[t.Any, t.Any]:
        """(scrubbed request, canonical form), computed once per call."""
        if self._match is None:
            assert self.replay is not None
            self._match = self.replay.match(self.request, self._credential_names())
        return self._match

    def _replay_key(self) -> str:
        """The recording key of this call: found by URL when it can be, else canonically."""
        if self._key is None:
            assert self.replay is not None
            self._key = self.replay.exact_key(self.request) or self._replay_match()[1].key
        return self._key

    def _lookup(self) -> t.Optional[requests.Response]:
        if self.replay is None:
            return None
        response = self.replay.lookup(self.request, self._replay_key(), lambda: self._replay_match()[1])
        if response is not None:
            t.cast(t.Any, response).connection = self.adapter  # auth classes re-send through it
        return response

    # ---------------------------------------------------------------- one attempt

    def _info(self) -> AttemptInfo:
        return AttemptInfo(self.method, self.url, self.template, self.number, self.max_attempts, self.replaying)

    def _wait_pauses(self) -> float:
        """Sleep while a backoff hook holds this call's lane; the seconds slept."""
        waited = 0.0
        while True:
            wait = self.adapter.pauses.wait_for(self.url, self.template)
            if wait <= 0:
                return waited
            remaining = self._remaining()
            if remaining is not None and wait > remaining:
                raise self._deadline_error(f"requests are paused for {wait:.2f}s more, past the deadline")
            log.debug("%s %s: paused for %.3fs by a backoff hook", self.method, self.template, wait)
            self.clock.sleep(wait)
            waited += wait

    def _attempt(self, send_kwargs: t.Dict[str, t.Any], info: t.Optional[AttemptInfo],
                 replayed: t.Optional[requests.Response]) -> t.Tuple[_Outcome, float]:
        remaining = self._remaining()
        if remaining is not None and remaining <= 0:
            raise self._deadline_error("no time left for the next attempt")
        if info is not None:  # there are hooks
            with bypass():
                for hook in self.hooks:
                    before = getattr(hook, "before", None)
                    if before is not None:
                        before(info)
        if replayed is not None:  # no pause, slot, throttle or network
            started = self.clock.monotonic()
            consumed = self._consume(replayed, started)
            if consumed is not None:
                consumed.replay = True
                return consumed, 0.0
            return self._evaluate(replayed, started, replay=True), 0.0
        if self.bypassed:
            slots: t.Any = ()
            throttle_wait = 0.0
        else:
            throttle_wait = self._wait_pauses()
            try:
                slots = self.adapter.gate.acquire(self.url, self._remaining(), self.fields, self.limits)
            except SlotTimeout:
                raise self._deadline_error("timed out waiting for a concurrency slot") from None
        try:
            if self.throttle is not None and not self.bypassed:
                try:
                    throttle_wait += self.throttle.acquire(
                        self.url, timeout=self._remaining(), fields=self.fields)
                except ThrottleTimeout as exc:
                    raise self._deadline_error(
                        f"the throttle would delay the attempt past the deadline ({exc.message})") from None
                except ThrottleBackendError as exc:
                    raise ThrottleBackendError(exc.message, phase=Phase.NOT_SENT, method=self.method,
                                               url=self.safe_url, attempts=self.attempts,
                                               elapsed=self._elapsed()) from None
            emit(log, self.log_request, EventKind.REQUEST, self.fields)
            timeout = self.timeout.capped(self._remaining())
            started = self.clock.monotonic()
            outcome = self._send(timeout, send_kwargs, started)
        finally:
            if slots:
                self.adapter.gate.release(slots)
        return outcome, throttle_wait

    def _wire_failure(self, exc: requests.RequestException, wire: Wire, started: float,
                      response: t.Optional[requests.Response] = None) -> _Outcome:
        """The outcome of an attempt that failed on the wire (sending, or reading the body)."""
        if wire.reaped:  # the reaper cut the connection: the deadline passed mid-attempt
            error: TransportError = DeadlineExceededError(
                "deadline exceeded: the server was still sending when it ran out", phase=Phase.SENT_NO_RESPONSE,
                method=self.method, url=self.safe_url)
        else:
            error = classify(exc, self.method, self.safe_url, sent=True if response is not None else (
                wire.sent if wire.tracked else None))
        if response is not None:
            response.close()
        if self.replay is not None and not self.replay.offline:
            self.replay.not_recorded(self.request, f"no response to record ({type(error).__name__})")
        return _Outcome(None, error, error.phase, started, self.clock.monotonic() - started)

    def _send(self, timeout: Timeout, send_kwargs: t.Dict[str, t.Any], started: float) -> _Outcome:
        remaining = self._remaining()
        wire = begin_attempt(None if remaining is None else time.monotonic() + max(remaining, 0.0))
        self._wire = wire
        try:
            response = self.adapter.send_once(self.request, timeout=(timeout.connect, timeout.read),
                                              preload_limit=RECORDED_DOWNLOAD_LIMIT if self.consumer else None,
                                              **send_kwargs)
        except requests.RequestException as exc:
            return self._wire_failure(exc, wire, started)
        except (ValueError, TypeError, UnicodeError, OverflowError) as exc:
            # http.client rejects what requests let through (a header value with a newline,
            # a body of the wrong type). Before the first byte it is the caller's input;
            # after it, the request is broken off mid-way like any other failure.
            if not wire.sent:
                raise InvalidRequestError(f"cannot send this request: {describe_input_error(exc)}",
                                          method=self.method, url=self.safe_url) from None
            error = ReadError(describe_input_error(exc), phase=Phase.SENT_NO_RESPONSE,
                              method=self.method, url=self.safe_url)
            return _Outcome(None, error, error.phase, started, self.clock.monotonic() - started)
        finally:  # the deadline watch stays until the body is read (released by the loop)
            end_attempt(keep_watch=True)
        if self.replay is not None:
            scrubbed, match = self._replay_match()
            if scrubbed is not None and self.replay.wants_recording(match) \
                    and not response._content_consumed:  # type: ignore[attr-defined]
                self.replay.not_recorded(self.request, f"a download body over {RECORDED_DOWNLOAD_LIMIT} bytes "
                                                       "(or of unknown length) is not recorded")
            elif scrubbed is not None and self.replay.wants_recording(match):
                try:
                    self.replay.record(scrubbed, match, response, self._credential_names())
                except ReplayStorageError as exc:
                    response.close()
                    raise ReplayStorageError(
                        f"the request was sent and answered with status {response.status_code}, but the "
                        f"exchange could not be recorded: {exc.message}", method=self.method, url=self.safe_url,
                        attempts=self.attempts, elapsed=self._elapsed()) from None
                if send_kwargs.get("stream"):
                    rewind_body(response)
        consumed = self._consume(response, started, wire)
        if consumed is not None:
            return consumed
        if wire.reaped:  # cut at the deadline: a body delimited by the close reads as complete
            return self._wire_failure(requests.exceptions.ChunkedEncodingError("cut at the deadline"), wire,
                                      started, response)
        return self._evaluate(response, started)

    def _consume(self, response: requests.Response, started: float,
                 wire: t.Optional[Wire] = None) -> t.Optional[_Outcome]:
        """Let the call's body consumer read a successful body inside the attempt (a
        download writing to its file); ``None`` when there is nothing to consume or it
        went well, else the failed outcome."""
        if self.consumer is None:
            return None
        if not 200 <= response.status_code < 300 and response.status_code != 416:
            try:
                response.content  # noqa: B018 - an error body is small: keep it for the error
            except requests.RequestException as exc:
                if wire is not None:
                    return self._wire_failure(exc, wire, started, response)
            return None
        try:
            self.consumer.consume(response)
        except requests.RequestException as exc:
            if wire is None:  # a replayed body cannot break off
                raise
            return self._wire_failure(exc, wire, started, response)
        except LucoClientError as exc:  # the content is wrong (length, checksum): a failed attempt
            response.close()
            return _Outcome(response, exc, Phase.RESPONSE, started, self.clock.monotonic() - started)
        except BaseException:  # the caller's own (a progress callback, Ctrl-C): end the attempt cleanly
            response.close()
            if wire is not None:
                wire.release()
            raise
        return None

    def _evaluate(self, response: requests.Response, started: float, replay: bool = False) -> _Outcome:
        """Run the validators on a response (live or replayed) and time the attempt."""
        status = response.status_code
        if status >= 400 and status not in self.options.success_statuses:
            # An error status is a failure already; validators judge successful bodies only.
            return _Outcome(response, None, Phase.RESPONSE, started, self.clock.monotonic() - started, replay=replay)
        for validator in self.validators:
            try:
                validator(response)
            except Exception as exc:  # any rejection is a failed attempt
                return _Outcome(response, exc, Phase.RESPONSE, started, self.clock.monotonic() - started, replay=replay)
        return _Outcome(response, None, Phase.RESPONSE, started, self.clock.monotonic() - started, replay=replay)

    def _is_success(self, outcome: _Outcome) -> bool:
        if outcome.error is not None or outcome.response is None:
            return False
        status = outcome.response.status_code
        return status < 400 or status in self.options.success_statuses

    # ---------------------------------------------------------------- the loop

    def run(self, send_kwargs: t.Dict[str, t.Any]) -> requests.Response:
        self.stream = bool(send_kwargs.get("stream"))
        try:
            return self._run(send_kwargs)
        except Exception as exc:
            if not self.attempts:  # ended before its first attempt: still a call
                self.adapter.stats.record_call(self.method, self.template)
            disclosed = self._disclose(exc)
            if disclosed is exc:
                raise
            raise disclosed from None

    def _run(self, send_kwargs: t.Dict[str, t.Any]) -> requests.Response:
        stats = self.adapter.stats
        policy = self.policy
        while True:
            self.number += 1
            number = self.number
            if self.consumer is not None:
                self.consumer.prepare(self.request)  # e.g. a Range header to resume a download
            replayed = self._lookup()
            self.replaying = replayed is not None
            info = self._info() if self.hooks else None
            outcome, throttle_wait = self._attempt(send_kwargs, info, replayed)
            success = self._is_success(outcome)
            stats.record_attempt(self.method, self.template, started=outcome.started,
                                 elapsed=outcome.elapsed, status=outcome.status, success=success,
                                 retry=number > 1, replay=outcome.replay, throttle_wait=throttle_wait)
            self._emit_result(outcome, success)
            record = AttemptRecord(number, outcome.phase, outcome.status,
                                   None if success or outcome.error is None else outcome.cause,
                                   outcome.elapsed, throttle_wait)
            self.attempts.append(record)
            if success:
                if info is not None:
                    self._after_hooks(info, outcome, RetryState(number, self.max_attempts, False, 0.0, None))
                return self._finish_response(t.cast(requests.Response, outcome.response), success=True)
            if self._wire is not None:
                self._wire.release()
            decision = self._decide(policy, outcome)
            retrying = decision.action is Action.RETRY
            if info is not None:
                self._after_hooks(info, outcome, RetryState(number, self.max_attempts, retrying,
                                                            decision.delay if retrying else 0.0, outcome.cause))
            if not retrying:
                return self._stop(decision, outcome)
            self.attempts[-1] = record._replace(delay_after=decision.delay)
            emit(log, policy.log_before if policy else None, EventKind.RETRY_BEFORE,
                 self.fields, RETRY_DELAY=decision.delay, RETRY_CAUSE=outcome.cause, STATUS=outcome.status or "")
            if outcome.response is not None:
                outcome.response.close()  # give the connection back before sleeping
            if not outcome.replay:  # a replayed exchange is not waited for
                self.clock.sleep(decision.delay)
            emit(log, policy.log_after if policy else None, EventKind.RETRY_AFTER,
                 self.fields, RETRY_DELAY=decision.delay, RETRY_CAUSE=outcome.cause)
            policy = decision.policy

    def _after_hooks(self, info: AttemptInfo, outcome: _Outcome, retry: RetryState) -> None:
        result = outcome.error if outcome.error is not None else outcome.response
        with bypass():
            for hook in self.hooks:
                after = getattr(hook, "after", None)
                if after is not None:
                    after(info, result, retry)

    def _decide(self, policy: t.Optional[GracefulRetry], outcome: _Outcome) -> Decision:
        if isinstance(outcome.error, DeadlineExceededError):
            return Decision(Action.DEADLINE, reason="the attempt was cut when the deadline passed")
        if policy is None:
            return Decision(Action.NOT_RETRYABLE, reason="retries are disabled for this call")
        if not rewind_for_resend(self.request):
            return Decision(Action.NOT_RETRYABLE, reason="the request body is a stream that cannot be sent again")
        headers = outcome.response.headers if outcome.response is not None else {}
        return policy.decide(
            self.method, self.safe_url, phase=outcome.phase, status=outcome.status, error=outcome.error,
            retry_after=headers.get("Retry-After"), idempotent=self.idempotent, remaining=self._remaining())

    def _emit_result(self, outcome: _Outcome, success: bool) -> None:
        if outcome.response is not None:
            emit(log, self.log_response, EventKind.RESPONSE,
                 self.fields, outcome.response, STATUS=outcome.status, ELAPSED=outcome.elapsed)
        if not success:
            emit(log, self.log_errors, EventKind.ERROR,
                 self.fields, outcome.response, STATUS=outcome.status or "", ELAPSED=outcome.elapsed,
                 RETRY_CAUSE=outcome.cause)

    # ---------------------------------------------------------------- endings

    def _finish_response(self, response: requests.Response, success: bool = False) -> requests.Response:
        response.luco_attempts = tuple(self.attempts)  # type: ignore[attr-defined]
        response.luco_elapsed = self._elapsed()  # type: ignore[attr-defined]
        wire = self._wire
        if self.stream and self.consumer is None and type(response) is requests.Response \
                and not response._content_consumed:  # type: ignore[attr-defined]
            # The caller reads the body: its failures and the deadline still belong to this
            # call. (Only streamed responses change class: the others stay plain Responses,
            # which keeps requests' own attribute accesses fast.)
            response.__class__ = GracefulResponse
            response = t.cast(GracefulResponse, response)
            response.luco_stream = StreamWatch(
                stats=self.adapter.stats, method=self.method, url=self.safe_url, template=self.template,
                fields=self.fields, log_errors=self.log_errors, attempts=self.attempts, success=success,
                wire=wire, deadline=None if wire is None else wire.deadline, elapsed_before=self._elapsed())
        elif wire is not None:
            wire.release()
        return response

    def _stop(self, decision: Decision, outcome: _Outcome) -> requests.Response:
        policy = self.policy
        cause = f"{outcome.cause} ({decision.reason})"
        if decision.action is Action.EXHAUSTED:
            emit(log, policy.log_exhausted if policy else None, EventKind.RETRY_EXHAUSTED, self.fields,
                 RETRY_CAUSE=cause, STATUS=outcome.status or "")
        elif decision.action in (Action.NOT_RETRYABLE, Action.UNSAFE):
            emit(log, _DECISIONS, EventKind.RETRY_SKIPPED, self.fields, RETRY_CAUSE=cause, STATUS=outcome.status or "")

        response = outcome.response
        # A write's failure is never handed on as a result: a parser could take it for success.
        passing = (policy is not None and policy.on_exhausted == "return" and response is not None
                   and not self._is_write())
        error: LucoClientError
        if decision.action is Action.RETRY_AFTER_TOO_LONG and response is not None:
            wait = t.cast(float, decision.retry_after)
            error = status_error(
                response, cls=RetryAfterTooLongError, attempts=self.attempts, elapsed=self._elapsed(),
                message=f"server asked to retry in {wait:.0f}s; {decision.reason}",
                retry_after=wait, retry_at=self.clock.time() + wait,
                limit=min(policy.max_retry_after if policy else 0.0, self._remaining() or float("inf")))
        elif decision.action is Action.DEADLINE:
            error = self._deadline_error(decision.reason)
        elif isinstance(outcome.error, TransportError):
            error = self._transport_error(outcome, decision)
        elif outcome.error is not None:  # a validator (or the body consumer) rejected the response
            if passing and self.consumer is None:  # never a download's wrong content
                return self._passed(t.cast(requests.Response, response))
            if isinstance(outcome.error, LucoClientError) and not outcome.error.attempts:
                outcome.error.attempts, outcome.error.elapsed = tuple(self.attempts), self._elapsed()
                outcome.error.method = outcome.error.method or self.method
                outcome.error.url = outcome.error.url or self.safe_url
            raise outcome.error
        elif decision.action is Action.EXHAUSTED and (policy is None or policy.on_exhausted == "raise"):
            error = status_error(t.cast(requests.Response, response), attempts=self.attempts,
                                 elapsed=self._elapsed(), message=f"gave up after {len(self.attempts)} attempts")
        elif passing:
            return self._passed(t.cast(requests.Response, response))
        else:
            return self._finish_response(t.cast(requests.Response, response))  # the caller sees the status
        if response is not None:
            response.close()
        raise error

    def _passed(self, response: requests.Response) -> requests.Response:
        """The last response of a failed call whose policy says ``on_exhausted="return"``
        (gracy's ``"pass"``): returned, marked ``luco_passed`` so that the client layer
        parses it instead of raising its status."""
        response.luco_passed = True  # type: ignore[attr-defined]
        return self._finish_response(response)

    def _transport_error(self, outcome: _Outcome, decision: Decision) -> TransportError:
        error = t.cast(TransportError, outcome.error)
        suffix = "" if decision.action is Action.NOT_RETRYABLE else f" ({decision.reason})"
        if error.phase is Phase.SENT_NO_RESPONSE and self._is_write():
            suffix = f"; not resent because {decision.reason}"
        return type(error)(error.message + suffix, phase=error.phase, method=self.method, url=self.safe_url,
                           attempts=self.attempts, elapsed=self._elapsed())

    def _disclose(self, error: Exception) -> Exception:
        """The error to raise: if an attempt of this write got no answer, the first thing the
        caller must learn is that it may have been applied (with the idempotency key that
        makes a later resend safe), whatever ended the call. Otherwise ``error`` as it is."""
        lost = [a for a in self.attempts if a.phase is Phase.SENT_NO_RESPONSE]
        if not lost or not self._is_write() or isinstance(error, PossiblyAppliedWriteError):
            return error
        header = self.adapter.idempotency_header
        key = self.request.headers.get(header) if header else None
        numbers = ", ".join(str(a.number) for a in lost)
        ending = error.message if isinstance(error, LucoClientError) else redact_text(str(error))[:200]
        return PossiblyAppliedWriteError(
            f"{self.method} may have been applied by the server: attempt {numbers} got no response; "
            f"the call ended with {type(error).__name__}: {ending}",
            phase=Phase.SENT_NO_RESPONSE, idempotency_key=key, method=self.method, url=self.safe_url,
            attempts=self.attempts, elapsed=self._elapsed())

    def _deadline_error(self, why: str) -> DeadlineExceededError:
        phase = self.attempts[-1].phase if self.attempts else Phase.NOT_SENT
        return DeadlineExceededError(f"deadline exceeded: {why}", phase=phase, method=self.method,
                                     url=self.safe_url, attempts=self.attempts, elapsed=self._elapsed())

