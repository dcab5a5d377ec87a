"""The only HTTP code in slimgo: requests sessions, TLS rules, retries with backoff and jitter, redacted logging."""

from __future__ import annotations

__all__ = ["Body", "Http", "TransientError", "body_head"]

import email.utils
import logging
import os
import random
import re
import threading
import time
import warnings
from collections.abc import Callable, Iterable, Mapping
from typing import IO, Any
from urllib.parse import urlsplit

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
# Every body slimgo reads into memory is bounded: a registry answering without end must not exhaust it.
BODY_LIMIT = 1 << 20  # JSON answers: tag lists, token responses, upload replies
ERROR_BODY_LIMIT = 64 << 10  # what is kept of an error answer to quote it
MAX_REDIRECTS = 10


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
        self.insecure = frozenset(_host_entry(h) for h in insecure)
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
        session.headers["User-Agent"] = "slimgo"
        session.max_redirects = MAX_REDIRECTS
        return session

    def plain_http(self, registry: str) -> bool:
        """Loopback and --insecure-registry hosts: plain HTTP allowed, and TLS (if they speak it) not verified."""
        if is_local_host(registry) or registry in self.insecure:
            return True
        host = registry[: registry.index("]") + 1] if registry.startswith("[") else registry.rsplit(":", 1)[0]
        return host in self.insecure  # a bare host names every port on it

    @property
    def ca_bundle(self) -> str | None:
        return os.environ.get("SSL_CERT_FILE") or None

    def _verify(self, url: str, registry: str) -> bool | str | None:
        # Like docker: an insecure registry may serve TLS with any certificate; its token server is not exempt.
        if self.plain_http(registry) and urlsplit(url).netloc == registry:
            return False
        # Passed with each request, since a session-wide `verify` loses to REQUESTS_CA_BUNDLE in requests.
        bundle = self.ca_bundle
        if bundle is not None and url.startswith("https:") and not os.path.isfile(bundle):
            raise RegistryError(f"SSL_CERT_FILE={bundle}", "is not a file", "point SSL_CERT_FILE at a PEM CA bundle, "
                                "or unset it to use the default one")
        return bundle

    def base_url(self, registry: str) -> str:
        return f"{'http' if self.plain_http(registry) else 'https'}://{registry}"

    # -- sending ---------------------------------------------------------------------------------------
    def send(self, method: str, url: str, *, registry: str, headers: Mapping[str, str] | None = None,
             body: Body = None, stream: bool = False, retry: bool = True,
             limit: int | None = None) -> requests.Response:
        """One request, retried on transient failures when ``retry``; returns any final response (even 4xx).

        Unless ``stream``, the body is read inside the retry loop (so a cut answer is asked again): a success
        is refused when it grows past ``limit`` (default BODY_LIMIT) bytes, an error answer is cut there.
        A streamed body is the caller's to bound.
        """
        attempts = self.policy.attempts if retry else 1
        if limit is None and not stream:
            limit = BODY_LIMIT
        last = ""
        for attempt in range(attempts):
            try:
                response = self._send_once(method, url, headers or {}, body, stream or limit is not None,
                                           self._verify(url, registry))
                if limit is not None:
                    _preload(response, limit, registry)
            except requests.exceptions.SSLError as err:
                raise self._tls_error(registry, url, err) from None
            except requests.exceptions.TooManyRedirects:
                raise RegistryError(registry, f"redirected {method} {_safe_url(url)} more than {MAX_REDIRECTS} "
                                    "times", "the registry is misconfigured (a redirect loop); report it to "
                                    "its operator") from None
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
                   stream: bool, verify: bool | str | None = None) -> requests.Response:
        data: Any = body() if callable(body) else body
        timeout = (self.policy.connect_timeout, self.policy.read_timeout)
        if verify is False:  # chosen by the user for this host: no warning per request
            warnings.filterwarnings("ignore", category=urllib3.exceptions.InsecureRequestWarning)
        try:
            response = self.session.request(method, url, headers=dict(headers), data=data, stream=stream,
                                            timeout=timeout, allow_redirects=True, verify=verify)
        finally:
            if data is not None and hasattr(data, "close"):
                data.close()
        if log.isEnabledFor(logging.DEBUG):  # headers as sent (cookies, auth) and received; never a body
            for hop in (*response.history, response):
                log.debug("%s %s %s -> %d %s", hop.request.method, _safe_url(hop.request.url or url),
                          redact(hop.request.headers), hop.status_code, redact(hop.headers))
        return response

    def _tls_error(self, registry: str, url: str, err: Exception) -> RegistryError:
        text = str(err)
        host = urlsplit(url).netloc or registry
        if "no certificate or crl found" in text.lower() and self.ca_bundle:
            return RegistryError(f"SSL_CERT_FILE={self.ca_bundle}", "holds no PEM certificate",
                                 "point SSL_CERT_FILE at a PEM CA bundle, or unset it to use the default one")
        insecure = f"pass --insecure-registry {host} (or list it in SLIMGO_INSECURE_REGISTRIES)"
        if host != registry:  # the registry's token server: --insecure-registry does not reach it
            insecure = ""
        if any(m in text.lower() for m in _PLAIN_HTTP_MARKERS):
            return RegistryError(host, "answers plain HTTP, not HTTPS",
                                 (f"{insecure} if plain HTTP to it is acceptable, or " if insecure else "")
                                 + "give it a TLS certificate")
        found = re.search(r"certificate verify failed: ([^(]+)", text)
        detail = found.group(1).strip() if found else _reason(err)
        cause = f"presents a TLS certificate that is not trusted ({detail})"
        bundle = f"SSL_CERT_FILE (now {self.ca_bundle})" if self.ca_bundle else "SSL_CERT_FILE"
        return RegistryError(host, cause, f"set {bundle} to a CA bundle that signs it"
                             + (f", or {insecure} to skip verification" if insecure else ""))

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


def _host_entry(text: str) -> str:
    """An --insecure-registry value as written (`host`, `host:port`, even `http://host:port/`) -> `host[:port]`."""
    return text.strip().split("://", 1)[-1].split("/", 1)[0]


# What OpenSSL says when a TLS handshake meets a plain HTTP server.
_PLAIN_HTTP_MARKERS = ("wrong version number", "record layer failure", "http request", "packet length too long")


def _preload(response: requests.Response, limit: int, registry: str) -> None:
    parts: list[bytes] = []
    total = 0
    error = response.status_code >= 400
    if error:
        limit = min(limit, ERROR_BODY_LIMIT)
    try:
        for chunk in response.iter_content(1 << 16):
            total += len(chunk)
            if total > limit:
                if error:  # only quoted: keep its head, drop the connection with the rest
                    parts.append(chunk[: limit - (total - len(chunk))])
                    response.close()
                    break
                raise RegistryError(registry, f"answered {_safe_url(response.url)} with more than {limit} bytes",
                                    "the registry is broken, or this is not what was asked for")
            parts.append(chunk)
    except BaseException:
        response.close()
        raise
    response._content = b"".join(parts)  # what requests itself does when it reads a body eagerly
    setattr(response, "_content_consumed", True)  # noqa: B010


def body_head(response: requests.Response, limit: int = ERROR_BODY_LIMIT) -> bytes:
    """At most ``limit`` bytes of a body, read or not yet read (a streamed answer is closed after them)."""
    if getattr(response, "_content_consumed", False):
        return (response.content or b"")[:limit]
    parts: list[bytes] = []
    total = 0
    try:
        for chunk in response.iter_content(1 << 16):
            parts.append(chunk[: limit - total])
            total += len(chunk)
            if total >= limit:
                break
    except requests.exceptions.RequestException:
        pass  # a quote of an error body: what arrived is enough
    finally:
        response.close()
    return b"".join(parts)


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
