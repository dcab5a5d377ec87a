"""The only HTTP code in slimgo: requests sessions, TLS rules, retries with backoff and jitter, redacted logging."""

from __future__ import annotations

import email.utils
import logging
import os
import random
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from typing import IO, Any

import requests
import requests.adapters
import urllib3.exceptions

from slimgo.errors import RegistryError
from slimgo.stores.registry.options import RetryPolicy
from slimgo.stores.registry.reference import is_local_host

log = logging.getLogger("slimgo.registry")

RETRY_STATUS = frozenset({408, 429, 500, 502, 503, 504})
# A body is bytes, or a callable that opens a fresh stream for each attempt (so a retry can resend it).
Body = bytes | Callable[[], IO[bytes]] | None
_SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie"})


class TransientError(RegistryError):
    """A failure worth retrying (reset connection, timeout, 5xx, 429) that outlived its retry budget."""


def redact(headers: Mapping[str, str]) -> dict[str, str]:
    """Headers safe to log: credentials and tokens replaced."""
    return {k: ("<redacted>" if k.lower() in _SECRET_HEADERS else v) for k, v in headers.items()}


def _safe_url(url: str) -> str:
    # Token endpoints and uploads carry no secrets in their query, but a user-supplied realm might: drop user info.
    scheme, sep, rest = url.partition("://")
    if "@" in rest.split("/", 1)[0]:
        rest = rest.split("@", 1)[1]
    return f"{scheme}{sep}{rest}"


class Http:
    """Sends requests to registries: picks the scheme, verifies TLS, retries what can be retried."""

    def __init__(self, policy: RetryPolicy | None = None, insecure: Iterable[str] = (),
                 session: requests.Session | None = None, sleep: Callable[[float], None] = time.sleep,
                 pool_size: int = 8) -> None:
        self.policy = policy or RetryPolicy()
        self.insecure = frozenset(insecure)
        self.sleep = sleep
        self.session = session or self._new_session(pool_size)
        self._reached: set[str] = set()
        self._lock = threading.Lock()

    @staticmethod
    def _new_session(pool_size: int) -> requests.Session:
        session = requests.Session()
        adapter = requests.adapters.HTTPAdapter(pool_connections=8, pool_maxsize=max(pool_size, 8), max_retries=0)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        cafile = os.environ.get("SSL_CERT_FILE")
        if cafile:
            session.verify = cafile
        session.headers["User-Agent"] = "slimgo"
        return session

    def plain_http(self, registry: str) -> bool:
        return is_local_host(registry) or registry in self.insecure

    def base_url(self, registry: str) -> str:
        return f"{'http' if self.plain_http(registry) else 'https'}://{registry}"

    # -- sending ---------------------------------------------------------------------------------------
    def send(self, method: str, url: str, *, registry: str, headers: Mapping[str, str] | None = None,
             body: Body = None, stream: bool = False, retry: bool = True,
             limit: int | None = None) -> requests.Response:
        """One request, retried on transient failures when ``retry``; returns any final response (even 4xx).

        With ``limit``, the body is read inside the retry loop (so a cut answer is asked again) and refused
        when it grows past ``limit`` bytes.
        """
        attempts = self.policy.attempts if retry else 1
        last = ""
        for attempt in range(attempts):
            try:
                response = self._send_once(method, url, headers or {}, body, stream or limit is not None)
                if limit is not None:
                    _preload(response, limit, registry)
            except requests.exceptions.SSLError as err:
                raise RegistryError(registry, f"TLS verification failed ({_reason(err)})",
                                    "set SSL_CERT_FILE to a CA bundle that signs the registry's certificate, "
                                    "or pass --insecure-registry " + registry + " if it serves plain HTTP") from None
            except (requests.exceptions.ConnectionError, requests.exceptions.Timeout,
                    requests.exceptions.ChunkedEncodingError) as err:
                if self._never_reached(registry, err):
                    raise RegistryError(registry, f"cannot connect ({_reason(err)})",
                                        "check the registry address and port, and that the registry is running"
                                        ) from None
                last = f"{type(err).__name__}: {_reason(err)}"
                log.debug("%s %s failed: %s (attempt %d/%d)", method, _safe_url(url), last, attempt + 1, attempts)
                if attempt + 1 < attempts:
                    self.sleep(self.backoff(attempt))
                continue
            with self._lock:
                self._reached.add(registry)
            if response.status_code in RETRY_STATUS and retry:
                last = f"HTTP {response.status_code}"
                if attempt + 1 == attempts:
                    response.close()
                    break
                delay = self.backoff(attempt, response)
                log.debug("%s %s -> %d, retrying in %.2fs", method, _safe_url(url), response.status_code, delay)
                response.close()
                self.sleep(delay)
                continue
            return response
        raise TransientError(registry, f"{method} {_safe_url(url)} kept failing after {attempts} attempts ({last})",
                             "the registry or the network is unhealthy; try again later")

    def _send_once(self, method: str, url: str, headers: Mapping[str, str], body: Body,
                   stream: bool) -> requests.Response:
        data: Any = body() if callable(body) else body
        timeout = (self.policy.connect_timeout, self.policy.read_timeout)
        try:
            response = self.session.request(method, url, headers=dict(headers), data=data, stream=stream,
                                            timeout=timeout, allow_redirects=True)
        finally:
            if data is not None and hasattr(data, "close"):
                data.close()
        if log.isEnabledFor(logging.DEBUG):
            log.debug("%s %s %s -> %d %s", method, _safe_url(url), redact(headers), response.status_code,
                      redact(response.headers))
        return response

    def _never_reached(self, registry: str, err: Exception) -> bool:
        """A host that refused or never answered from the start fails fast; one that answered before may blip."""
        if registry in self._reached:
            return False
        if isinstance(err, requests.exceptions.ConnectTimeout):
            return True
        if isinstance(err, requests.exceptions.ConnectionError):
            reason = err.args[0] if err.args else None
            inner = getattr(reason, "reason", reason)
            return isinstance(inner, urllib3.exceptions.NewConnectionError | urllib3.exceptions.NameResolutionError)
        return False

    def backoff(self, attempt: int, response: requests.Response | None = None) -> float:
        if response is not None:
            after = retry_after(response.headers.get("Retry-After"))
            if after is not None:
                return min(after, self.policy.retry_after_cap)
        return random.uniform(0, min(self.policy.cap, self.policy.base * (2 ** attempt)))


def _preload(response: requests.Response, limit: int, registry: str) -> None:
    parts: list[bytes] = []
    total = 0
    try:
        for chunk in response.iter_content(1 << 16):
            total += len(chunk)
            if total > limit:
                raise RegistryError(registry, f"answered {response.url} with more than {limit} bytes",
                                    "the registry is broken, or this is not what was asked for")
            parts.append(chunk)
    except BaseException:
        response.close()
        raise
    response._content = b"".join(parts)  # what requests itself does when it reads a body eagerly
    setattr(response, "_content_consumed", True)  # noqa: B010


def retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _reason(err: Exception) -> str:
    text = str(err)
    for marker in ("Connection refused", "Name or service not known", "timed out", "Connection reset",
                   "Temporary failure in name resolution", "certificate verify failed", "Connection aborted",
                   "IncompleteRead", "Response ended prematurely", "No route to host"):
        if marker.lower() in text.lower():
            return marker.lower()
    return text[:200]
