"""The OCI distribution API for one registry: blobs (check, mount, upload, download), manifests, tags, referrers."""

from __future__ import annotations

__all__ = ["MANIFEST_LIMIT", "Fetched", "ManifestUnknown", "RegistryClient", "fallback_tag", "registry_errors"]

import json
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import IO, Any
from urllib.parse import quote, urljoin

import requests

from slimgo.errors import ImageFormatError, NotFound, RegistryError
from slimgo.oci import mediatype
from slimgo.oci.descriptor import Descriptor
from slimgo.oci.digest import Digest
from slimgo.oci.manifest import Index, Manifest, media_type_of
from slimgo.stores.registry.auth import Authenticator, AuthError, repository_scope
from slimgo.stores.registry.cache import BlobCache
from slimgo.stores.registry.credentials import Credentials
from slimgo.stores.registry.http import Body, Http, TransientError, body_head

MANIFEST_ACCEPT = ", ".join([mediatype.OCI_MANIFEST, mediatype.OCI_INDEX, mediatype.DOCKER_MANIFEST,
                             mediatype.DOCKER_LIST])
MANIFEST_LIMIT = 4 << 20  # what distribution itself accepts; anything larger is not a manifest
MAX_LISTED_REFERRERS = 1000  # as stores.referrers.MAX_REFERRERS: more attached artifacts is not what slimgo lists
EMPTY_CONFIG = "application/vnd.oci.empty.v1+json"
# What Go's (distribution's) and nginx's TLS listeners answer to plain HTTP.
_HTTPS_ONLY = ("client sent an http request to an https server", "the plain http request was sent to https port")
Progress = Callable[[int], None]


def _no_progress(_n: int) -> None:
    return None


@dataclass(frozen=True)
class Fetched:
    raw: bytes
    media_type: str
    digest: Digest


class _Uploading:
    """A sized, iterable reader over part of a blob, counting progress (requests sends it with Content-Length)."""

    def __init__(self, opener: Callable[[], IO[bytes]], offset: int, length: int, progress: Progress) -> None:
        self._stream = opener()
        self._left = length
        self._length = length
        self._progress = progress
        if offset:
            if self._stream.seekable():
                self._stream.seek(offset)
            else:
                _discard(self._stream, offset)

    def __len__(self) -> int:
        return self._length

    def read(self, size: int = -1) -> bytes:
        if self._left <= 0:
            return b""
        want = self._left if size is None or size < 0 else min(size, self._left)
        data = self._stream.read(want)
        self._left -= len(data)
        self._progress(len(data))
        return data

    def __iter__(self) -> Iterator[bytes]:
        while chunk := self.read(1 << 20):
            yield chunk

    def close(self) -> None:
        self._stream.close()


def _discard(stream: IO[bytes], count: int) -> None:
    while count > 0:
        data = stream.read(min(count, 1 << 20))
        if not data:
            break
        count -= len(data)


class ManifestUnknown(RegistryError, NotFound):
    """The registry has no such repository, tag or digest (HTTP 404)."""


class _Interrupted(Exception):
    """An upload step failed in a way that a restart (or a resume) may fix."""

    def __init__(self, reason: str, response: requests.Response | None = None, location: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.response = response
        self.location = location


def registry_errors(response: requests.Response) -> str:
    """The `errors` a registry put in its body, as one line (or the status when there are none)."""
    try:
        data: Any = json.loads(body_head(response) or b"{}")
    except ValueError:
        data = {}
    items = data.get("errors") if isinstance(data, dict) else None
    if isinstance(items, list) and items:
        parts = []
        for item in items[:3]:
            if isinstance(item, dict):
                parts.append(f"{item.get('code', '?')}: {item.get('message', '')}".strip(": "))
        if parts:
            return f"HTTP {response.status_code} ({'; '.join(parts)})"
    return f"HTTP {response.status_code}"


class RegistryClient:
    """Talks to one registry; thread-safe, so blobs can move in parallel."""

    def __init__(self, registry: str, http: Http, credentials: Callable[[], Credentials | None]) -> None:
        self.registry = registry
        self.http = http
        self.base = http.base_url(registry)
        self.auth = Authenticator(registry, http, credentials)
        self._pinged = False
        self._ping_lock = threading.Lock()

    # -- plumbing --------------------------------------------------------------------------------------
    def ping(self) -> None:
        """GET /v2/: proves the registry speaks the API and learns how it wants to be authenticated."""
        if self._pinged:
            return
        with self._ping_lock:  # blob threads start together: one of them asks, the others wait for its answer
            if not self._pinged:
                self._ping()

    def _ping(self) -> None:
        response = self.http.send("GET", f"{self.base}/v2/", registry=self.registry)
        if response.status_code == 400 and any(m in body_head(response, 500).decode(errors="replace").lower()
                                               for m in _HTTPS_ONLY):
            response.close()
            self.base = f"https://{self.registry}"
            response = self.http.send("GET", f"{self.base}/v2/", registry=self.registry)
        with response:
            if response.status_code == 401:
                self.auth.learn(response)
            elif response.status_code != 200:
                raise RegistryError(self.registry, f"does not answer the registry API at /v2/ "
                                    f"({registry_errors(response)})",
                                    "check the address: it must be an OCI distribution registry")
        self._pinged = True

    def url(self, path: str) -> str:
        self.ping()  # the ping settles the scheme (a TLS registry on localhost moves to https)
        return f"{self.base}/v2/{path}"

    def request(self, method: str, url: str, scopes: Sequence[str], *, headers: dict[str, str] | None = None,
                body: Body = None, stream: bool = False, retry: bool = True,
                limit: int | None = None) -> requests.Response:
        """Send with authentication; a 401 is answered once with a fresh token, then it is an error."""
        self.ping()
        # Basic credentials are refused for good on the second 401; a fresh Bearer token gets one more chance,
        # since a token can expire (or be revoked) between being issued and being used.
        attempts = 2
        for attempt in range(3):
            sent = dict(headers or {})
            authorization = self.auth.header(scopes)
            if authorization:
                sent["Authorization"] = authorization
            response = self.http.send(method, url, registry=self.registry, headers=sent, body=body,
                                      stream=stream, retry=retry, limit=limit)
            if response.status_code != 401:
                return response
            response.close()
            self.auth.learn(response)
            self.auth.invalidate(scopes)
            if self.auth.challenge is not None and self.auth.challenge.scheme == "bearer":
                attempts = 3
            if attempt + 1 >= attempts:
                break
        raise self.auth.rejected()

    def _check_denied(self, response: requests.Response, repository: str, action: str) -> None:
        if response.status_code == 403:
            raise self.auth.denied(repository, action)

    # -- blobs -----------------------------------------------------------------------------------------
    def blob_exists(self, repository: str, digest: Digest, scopes: Sequence[str] | None = None) -> bool:
        scopes = scopes or [repository_scope(repository, "pull")]
        with self.request("HEAD", self.url(f"{repository}/blobs/{digest}"), scopes) as response:
            if response.status_code == 200:
                return True
            if response.status_code == 404:
                return False
            self._check_denied(response, repository, "pull")
            raise RegistryError(f"{self.registry}/{repository}", f"cannot check blob {digest.short} "
                                f"({registry_errors(response)})", "check the registry's health")

    def fetch_blob(self, repository: str, desc: Descriptor, cache: BlobCache, progress: Progress = _no_progress,
                   ) -> None:
        """Download a blob into the cache, verified as it streams; a cut download resumes with a Range request."""
        where = f"blob {desc.digest} from {self.registry}/{repository}"
        cache.ingest(desc.digest, desc.size, self._blob_chunks(repository, desc, progress, where), where)

    def _blob_chunks(self, repository: str, desc: Descriptor, progress: Progress, where: str) -> Iterator[bytes]:
        scopes = [repository_scope(repository, "pull")]
        url = self.url(f"{repository}/blobs/{desc.digest}")
        received = 0
        failures = 0
        while True:
            headers = {"Range": f"bytes={received}-"} if received else {}
            response = self.request("GET", url, scopes, headers=headers, stream=True)
            try:
                if response.status_code == 404:
                    raise RegistryError(where, "does not exist in the registry",
                                        "the image is incomplete in the registry; push it again")
                self._check_denied(response, repository, "pull")
                if response.status_code not in (200, 206):
                    raise RegistryError(where, f"cannot be downloaded ({registry_errors(response)})",
                                        "check the registry's health")
                skip = received if response.status_code == 200 else 0  # the server ignored Range: start over
                for chunk in response.iter_content(1 << 16):
                    if skip:
                        drop = min(skip, len(chunk))
                        chunk, skip = chunk[drop:], skip - drop
                        if not chunk:
                            continue
                    received += len(chunk)
                    progress(len(chunk))
                    yield chunk
                return
            except (requests.exceptions.ConnectionError, requests.exceptions.ChunkedEncodingError,
                    requests.exceptions.Timeout) as err:
                failures += 1
                if failures >= self.http.policy.attempts:
                    raise TransientError(where, f"download kept failing ({type(err).__name__}) after "
                                         f"{failures} attempts", "the registry or the network is unhealthy; "
                                         "try again later") from None
                self.http.sleep(self.http.backoff(failures - 1))
            finally:
                response.close()

    def mount_blob(self, repository: str, digest: Digest, source: str) -> str | None:
        """Ask for a cross-repository mount; None when mounted, else the upload URL the registry opened instead."""
        scopes = [repository_scope(repository, "pull,push"), repository_scope(source, "pull")]
        url = self.url(f"{repository}/blobs/uploads/?mount={digest}&from={source}")
        with self.request("POST", url, scopes) as response:
            if response.status_code == 201:
                return None
            self._check_denied(response, repository, "push")
            if response.status_code == 202 and response.headers.get("Location"):
                return urljoin(url, response.headers["Location"])
            raise RegistryError(f"{self.registry}/{repository}", f"refused to start an upload "
                                f"({registry_errors(response)})", "check the registry's health and quota")

    def upload_blob(self, repository: str, desc: Descriptor, opener: Callable[[], IO[bytes]], chunk_size: int,
                    progress: Progress = _no_progress, location: str | None = None) -> None:
        """Upload a blob: one PUT when small, PATCH chunks when large; retried, resumed where the registry can."""
        where = f"{self.registry}/{repository} blob {desc.digest.short}"
        chunked = desc.size > chunk_size
        offset = 0
        failures = 0
        while True:
            try:
                if location is None:
                    location, offset = self._start_upload(repository), 0
                # After an interruption the registry's partial copy may hold a torn write: a digest mismatch
                # then means "start over", not "your content is corrupt".
                clean = failures == 0
                if chunked:
                    location = self._patch_chunks(repository, location, offset, desc, opener, chunk_size, progress)
                    self._finish_upload(repository, location, desc, None, progress, clean)
                else:
                    self._finish_upload(repository, location, desc, opener, progress, clean)
                return
            except _Interrupted as cut:
                failures += 1
                if failures >= self.http.policy.attempts:
                    raise TransientError(where, f"upload kept failing ({cut.reason}) after {failures} attempts",
                                         "the registry or the network is unhealthy; try again later") from None
                self.http.sleep(self.http.backoff(failures - 1, cut.response))
                resumed = self._upload_status(repository, cut.location) if chunked and cut.location else None
                location, offset = resumed if resumed else (None, 0)

    def _start_upload(self, repository: str) -> str:
        url = self.url(f"{repository}/blobs/uploads/")
        scopes = [repository_scope(repository, "pull,push")]
        with self.request("POST", url, scopes) as response:
            self._check_denied(response, repository, "push")
            if response.status_code == 202 and response.headers.get("Location"):
                return urljoin(url, response.headers["Location"])
            raise RegistryError(f"{self.registry}/{repository}", f"refused to start an upload "
                                f"({registry_errors(response)})", "check the registry's health and quota")

    def _send_upload(self, method: str, url: str, repository: str, headers: dict[str, str],
                     body: Body) -> requests.Response:
        scopes = [repository_scope(repository, "pull,push")]
        try:
            response = self.request(method, url, scopes, headers=headers, body=body, retry=False)
        except TransientError as err:
            raise _Interrupted(err.cause, location=url) from None
        if response.status_code >= 500 or response.status_code in (408, 429):
            response.close()
            raise _Interrupted(f"HTTP {response.status_code}", response, url)
        return response

    def _patch_chunks(self, repository: str, location: str, offset: int, desc: Descriptor,
                      opener: Callable[[], IO[bytes]], chunk_size: int, progress: Progress) -> str:
        while offset < desc.size:
            length = min(chunk_size, desc.size - offset)
            start = offset

            def body(start: int = start, length: int = length) -> IO[bytes]:
                return _Uploading(opener, start, length, progress)  # type: ignore[return-value]

            headers = {"Content-Type": "application/octet-stream",
                       "Content-Range": f"{start}-{start + length - 1}", "Content-Length": str(length)}
            with self._send_upload("PATCH", location, repository, headers, body) as response:
                if response.status_code == 416:
                    raise _Interrupted("the registry lost track of the upload offset", response, location)
                if response.status_code != 202:
                    self._check_denied(response, repository, "push")
                    if response.status_code == 404:
                        raise _Interrupted("the upload session expired", response, None)
                    raise RegistryError(f"{self.registry}/{repository}", f"refused an upload chunk "
                                        f"({registry_errors(response)})", "check the registry's health and quota")
                location = urljoin(location, response.headers.get("Location") or location)
                offset = _range_end(response.headers.get("Range"), start + length - 1) + 1
        return location

    def _finish_upload(self, repository: str, location: str, desc: Descriptor,
                       opener: Callable[[], IO[bytes]] | None, progress: Progress, clean: bool = True) -> None:
        url = location + ("&" if "?" in location else "?") + f"digest={desc.digest}"
        body: Body = None
        headers = {"Content-Type": "application/octet-stream", "Content-Length": "0"}
        if opener is not None:
            def body() -> IO[bytes]:
                return _Uploading(opener, 0, desc.size, progress)  # type: ignore[return-value]
            headers["Content-Length"] = str(desc.size)
        with self._send_upload("PUT", url, repository, headers, body) as response:
            if response.status_code in (201, 204):
                reported = response.headers.get("Docker-Content-Digest")
                if reported and reported != str(desc.digest):
                    raise RegistryError(f"{self.registry}/{repository}", f"stored blob {desc.digest} as {reported}",
                                        "the registry rewrote content; push to another registry")
                return
            self._check_denied(response, repository, "push")
            if response.status_code == 404:
                raise _Interrupted("the upload session expired", response, None)
            text = registry_errors(response)
            if ("DIGEST_INVALID" in text or "SIZE_INVALID" in text) and not clean:
                raise _Interrupted("the registry's copy of an interrupted upload was damaged", response, None)
            if "DIGEST_INVALID" in text or "SIZE_INVALID" in text:
                raise ImageFormatError(f"blob {desc.digest}", f"was refused by the registry ({text})",
                                       "the local content does not match its digest: rebuild or re-pull the image")
            raise RegistryError(f"{self.registry}/{repository}", f"refused blob {desc.digest.short} ({text})",
                                "check the registry's health and quota")

    def _upload_status(self, repository: str, location: str) -> tuple[str, int] | None:
        """Where an interrupted upload stands (its URL and next offset), or None when it must start over."""
        scopes = [repository_scope(repository, "pull,push")]
        try:
            with self.request("GET", location, scopes) as response:
                if response.status_code not in (200, 204):
                    return None
                end = _range_end(response.headers.get("Range"), -1)
                return urljoin(location, response.headers.get("Location") or location), end + 1
        except (TransientError, AuthError):
            return None

    # -- manifests -------------------------------------------------------------------------------------
    def get_manifest(self, repository: str, identifier: str, suggest: bool = True) -> Fetched:
        """A manifest or index, verified: against the digest asked for, else against Docker-Content-Digest.

        An unknown tag raises ManifestUnknown naming the tags that do exist (when ``suggest``: one more request).
        """
        where = f"{self.registry}/{repository}:{identifier}" if ":" not in identifier else \
            f"{self.registry}/{repository}@{identifier}"
        scopes = [repository_scope(repository, "pull")]
        with self.request("GET", self.url(f"{repository}/manifests/{identifier}"), scopes,
                          headers={"Accept": MANIFEST_ACCEPT}, limit=MANIFEST_LIMIT) as response:
            if response.status_code == 404:
                raise self._manifest_unknown(repository, identifier, where, registry_errors(response), suggest)
            self._check_denied(response, repository, "pull")
            if response.status_code != 200:
                raise RegistryError(where, f"cannot be read ({registry_errors(response)})",
                                    "check the registry's health")
            raw = response.content
            content_type = response.headers.get("Content-Type", "").split(";")[0].strip()
            reported = response.headers.get("Docker-Content-Digest")
        digest = Digest.of(raw)
        expected = identifier if identifier.startswith("sha256:") else reported
        if expected and expected.startswith("sha256:") and expected != str(digest):
            raise ImageFormatError(where, f"was served with content hashing to {digest}, not {expected}",
                                   "the registry served different content; the image may have been tampered "
                                   "with, or the registry is broken")
        if content_type.startswith("application/vnd.docker.distribution.manifest.v1"):
            raise ImageFormatError(where, "is a Docker schema 1 manifest, which slimgo does not read",
                                   "re-push the image with a current tool (schema 2 or OCI)")
        media_type = media_type_of(raw, where)
        if not (mediatype.is_manifest(media_type) or mediatype.is_index(media_type)) and \
                content_type in (mediatype.MANIFESTS | mediatype.INDEXES):
            media_type = content_type
        return Fetched(raw, media_type, digest)

    def _manifest_unknown(self, repository: str, identifier: str, where: str, answer: str,
                          suggest: bool) -> ManifestUnknown:
        said = "the registry answered " + (answer.replace(" (", ": ", 1)[:-1] if answer.endswith(")") else answer)
        if identifier.startswith("sha256:"):
            return ManifestUnknown(where, f"does not exist: no manifest with this digest in {repository} ({said})",
                                   "check the digest, or pull by tag")
        if not suggest:
            return ManifestUnknown(where, f"does not exist ({said})", "check the tag")
        try:  # referrers' fallback tags (sha256-<hex>) are not what a user means
            tags = sorted(t for t in self.tags(repository, limit=200) if not t.startswith("sha256-"))
        except (RegistryError, ValueError):  # only a hint: the 404 is the error
            return ManifestUnknown(where, f"does not exist ({said})", "check the repository name and the tag")
        if not tags:
            return ManifestUnknown(where, f"does not exist: the registry has no repository {repository!r} "
                                   f"(or it has no tags) ({said})",
                                   "check the repository name; push an image there first if it is new")
        shown = ", ".join(tags[:12]) + (f" and {len(tags) - 12} more" if len(tags) > 12 else "")
        return ManifestUnknown(where, f"does not exist: {repository} has no tag {identifier!r} ({said})",
                               f"use a tag it has: {shown}")

    def put_manifest(self, repository: str, identifier: str, raw: bytes, media_type: str) -> requests.Response:
        """PUT exact bytes; the digest the registry reports must be ours. Returns the (closed) response."""
        where = f"{self.registry}/{repository}:{identifier}"
        scopes = [repository_scope(repository, "pull,push")]
        with self.request("PUT", self.url(f"{repository}/manifests/{identifier}"), scopes,
                          headers={"Content-Type": media_type}, body=raw) as response:
            if response.status_code not in (200, 201, 202):
                self._check_denied(response, repository, "push")
                raise RegistryError(where, f"refused the manifest ({registry_errors(response)})",
                                    "a blob may be missing or the manifest invalid; push again, or check the "
                                    "registry supports this media type")
            reported = response.headers.get("Docker-Content-Digest")
            if reported and reported != str(Digest.of(raw)):
                raise RegistryError(where, f"stored the manifest as {reported}, not {Digest.of(raw)}",
                                    "the registry rewrote the manifest; push to another registry")
            return response

    def tags(self, repository: str, limit: int = 10000) -> list[str]:
        scopes = [repository_scope(repository, "pull")]
        url: str | None = self.url(f"{repository}/tags/list")
        found: list[str] = []
        for _page in range(100):  # bounded: a registry that pages forever is a broken one
            if url is None or len(found) >= limit:
                break
            with self.request("GET", url, scopes) as response:
                if response.status_code == 404:
                    return []
                self._check_denied(response, repository, "pull")
                if response.status_code != 200:
                    raise RegistryError(f"{self.registry}/{repository}", f"cannot list tags "
                                        f"({registry_errors(response)})", "check the registry's health")
                try:
                    data: Any = response.json()
                except ValueError:
                    data = None
                if not isinstance(data, dict):
                    raise RegistryError(f"{self.registry}/{repository}", "answered a tag list that is not a JSON "
                                        "object", "the registry is broken; report it to its operator")
                listed = data.get("tags") or []
                found += [t for t in listed if isinstance(t, str)] if isinstance(listed, list) else []
                link = response.headers.get("Link", "")
                url = urljoin(url, link[link.index("<") + 1:link.index(">")]) if "<" in link else None
        return found

    # -- referrers -------------------------------------------------------------------------------------
    def referrers(self, repository: str, subject: Digest, artifact_type: str = "") -> list[Descriptor]:
        """Manifests whose subject is ``subject``: the OCI 1.1 API, else the `sha256-<hex>` tag fallback."""
        scopes = [repository_scope(repository, "pull")]
        url = self.url(f"{repository}/referrers/{subject}")
        if artifact_type:
            url += f"?artifactType={quote(artifact_type, safe='')}"
        with self.request("GET", url, scopes, headers={"Accept": mediatype.OCI_INDEX},
                          limit=MANIFEST_LIMIT) as response:
            content_type = response.headers.get("Content-Type", "").split(";")[0].strip()
            if response.status_code == 200 and content_type == mediatype.OCI_INDEX:
                found = list(Index.parse(response.content, f"referrers of {subject}").manifests)
                found = [self._own_artifact_type(repository, d) for d in found[:MAX_LISTED_REFERRERS]]
                return [d for d in found if not artifact_type or d.artifact_type == artifact_type]
        try:
            fetched = self.get_manifest(repository, fallback_tag(subject), suggest=False)
        except ManifestUnknown:
            return []
        found = list(Index.parse(fetched.raw, f"referrers tag of {subject}").manifests)
        return [d for d in found if not artifact_type or d.artifact_type == artifact_type]


    def _own_artifact_type(self, repository: str, desc: Descriptor) -> Descriptor:
        # Some registries (go-containerregistry's) list a referrer's config media type, not its artifactType: for
        # an artifact with the empty config, the manifest itself says what it is.
        if desc.artifact_type not in ("", EMPTY_CONFIG) or not mediatype.is_manifest(desc.media_type):
            return desc
        manifest = Manifest.parse(self.get_manifest(repository, str(desc.digest), suggest=False).raw,
                                  f"{self.registry}/{repository}@{desc.digest}")
        return replace(desc, artifact_type=manifest.artifact_type or manifest.config.media_type)

    def has_referrers_api(self, repository: str, subject: Digest) -> bool:
        """Whether the registry answers the OCI 1.1 referrers API (an index, possibly empty) for ``subject``."""
        scopes = [repository_scope(repository, "pull")]
        with self.request("GET", self.url(f"{repository}/referrers/{subject}"), scopes,
                          headers={"Accept": mediatype.OCI_INDEX}, limit=MANIFEST_LIMIT) as response:
            content_type = response.headers.get("Content-Type", "").split(";")[0].strip()
            return response.status_code == 200 and content_type == mediatype.OCI_INDEX


def fallback_tag(subject: Digest) -> str:
    """The tag the OCI referrers tag schema uses for a subject: `<alg>-<hex>`."""
    return f"{subject.algorithm}-{subject.hex}"


def _range_end(header: str | None, default: int) -> int:
    # Registries answer `Range: 0-N` (N inclusive); some prefix `bytes=`.
    if not header:
        return default
    try:
        return int(header.replace("bytes=", "").split("-", 1)[1])
    except (IndexError, ValueError):
        return default
