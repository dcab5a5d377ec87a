"""A hostile registry on 127.0.0.1: endless bodies, wrong digests, redirects elsewhere, a token realm elsewhere.

It serves one small, valid image (`x:1`) and accepts nothing; each mode lies in one way. Every request is recorded
with its headers so a test can prove what slimgo did, and did not, send.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import json
import tarfile
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

MODES = ("ok", "endless-error", "endless-ping", "endless-blob", "wrong-digest", "redirect", "token-elsewhere",
         "endless-token", "stall", "redirect-loop", "huge-index")
STALL_SECONDS = 30.0
ENDLESS_CAP = 4 << 30  # a server-side bound: the double stops after this much even if nobody hangs up
ENDLESS_SECONDS = 60.0
_CHUNK = b'{"errors":[{"code":"UNKNOWN","message":"' + b"A" * 65000


# An index of 100 platforms whose manifests claim 3 MiB each: 300 MiB a client would hold to read it all.
HUGE_INDEX = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": [
    {"mediaType": "application/vnd.oci.image.manifest.v1+json", "size": 3 << 20,
     "digest": "sha256:" + hashlib.sha256(str(i).encode()).hexdigest(),
     "platform": {"os": "linux", "architecture": f"arch{i}"}} for i in range(100)]}).encode()


@dataclass
class Image:
    manifest: bytes
    config: bytes
    layer: bytes

    @property
    def layer_digest(self) -> str:
        return "sha256:" + hashlib.sha256(self.layer).hexdigest()

    @property
    def config_digest(self) -> str:
        return "sha256:" + hashlib.sha256(self.config).hexdigest()

    @property
    def manifest_digest(self) -> str:
        return "sha256:" + hashlib.sha256(self.manifest).hexdigest()

    def blob(self, digest: str) -> bytes | None:
        return {self.layer_digest: self.layer, self.config_digest: self.config}.get(digest)


def tiny_image(payload: bytes = b"hello\n") -> Image:
    """A one-layer linux/amd64 image built with tarfile and json."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        info = tarfile.TarInfo("app/hello.txt")
        info.size = len(payload)
        info.mode = 0o644
        tar.addfile(info, io.BytesIO(payload))
    tar_bytes = raw.getvalue()
    layer = gzip.compress(tar_bytes, mtime=0)
    config = json.dumps({
        "architecture": "amd64", "os": "linux", "config": {"Entrypoint": ["/app/hello.txt"]},
        "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(tar_bytes).hexdigest()]},
    }, sort_keys=True).encode()
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": "sha256:" + hashlib.sha256(config).hexdigest(), "size": len(config)},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                    "digest": "sha256:" + hashlib.sha256(layer).hexdigest(), "size": len(layer)}],
    }, sort_keys=True).encode()
    return Image(manifest, config, layer)


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]


@dataclass
class HostileRegistry:
    """One mode of lying; ``basic`` = (user, password) makes it demand Basic auth like an htpasswd registry."""

    mode: str = "ok"
    basic: tuple[str, str] | None = None
    redirect_to: str = ""  # `host:port` that blob GETs are sent to in "redirect" mode
    realm: str = ""  # the Bearer realm in "token-elsewhere" mode
    cookie: str = ""  # set as a session cookie on every answer (a client sends it back)
    blob_delay: float = 0.0  # seconds before a blob answer starts (so two clients surely overlap)
    image: Image = field(default_factory=tiny_image)
    seen: list[Seen] = field(default_factory=list)
    sent_bytes: int = 0
    _server: ThreadingHTTPServer | None = None

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(self.mode)

    @property
    def host(self) -> str:
        assert self._server is not None
        return f"127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> str:
        double = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                return None

            def _any(self) -> None:
                double.seen.append(Seen(self.command, self.path, dict(self.headers.items())))
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(min(length, 1 << 20))
                double.answer(self)

            do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = _any  # noqa: N815

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        self._server = server
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        return self.host

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    # -- answers ---------------------------------------------------------------------------------------
    def answer(self, h: BaseHTTPRequestHandler) -> None:
        path = h.path.split("?", 1)[0]
        if self.mode == "endless-ping" or (self.mode == "endless-error" and path != "/v2/"):
            return self._endless(h, 400, "application/json")
        if self.mode == "stall":  # answers nothing for a while: a client sits waiting (to be killed)
            time.sleep(STALL_SECONDS)
            return self._send(h, 503, b"", "text/plain")
        if self.mode == "endless-token" and path.startswith("/token"):
            return self._endless(h, 200, "application/json")
        if not self._authorized(h):
            return None
        if path == "/v2/":
            return self._send(h, 200, b"{}", "application/json")
        if "/manifests/" in path:
            ref = path.rsplit("/", 1)[1]
            if ref == "1" and self.mode == "huge-index":
                return self._send(h, 200, HUGE_INDEX, "application/vnd.oci.image.index.v1+json")
            if ref in ("1", self.image.manifest_digest):
                return self._send(h, 200, self.image.manifest, "application/vnd.oci.image.manifest.v1+json",
                                  {"Docker-Content-Digest": self.image.manifest_digest})
            return self._send(h, 404, b'{"errors":[{"code":"MANIFEST_UNKNOWN","message":"unknown"}]}',
                              "application/json")
        if "/blobs/" in path and "/uploads" not in path:
            digest = path.rsplit("/", 1)[1]
            data = self.image.blob(digest)
            if data is None:
                return self._send(h, 404, b'{"errors":[{"code":"BLOB_UNKNOWN","message":"unknown"}]}',
                                  "application/json")
            if h.command == "GET" and self.blob_delay:
                time.sleep(self.blob_delay)
            if digest == self.image.layer_digest and h.command == "GET":
                if self.mode == "endless-blob":
                    return self._endless(h, 200, "application/octet-stream")
                if self.mode == "wrong-digest":
                    return self._send(h, 200, bytes(b ^ 0xFF for b in data), "application/octet-stream")
                if self.mode == "redirect-loop":
                    h.send_response(307)
                    h.send_header("Location", h.path)
                    h.send_header("Content-Length", "0")
                    h.end_headers()
                    return None
                if self.mode == "redirect":
                    h.send_response(307)
                    h.send_header("Location", f"http://{self.redirect_to}/storage/{digest}")
                    h.send_header("Content-Length", "0")
                    h.end_headers()
                    return None
            return self._send(h, 200, data, "application/octet-stream")
        if path.startswith("/storage/"):  # this double standing in for another host's blob storage
            data = self.image.blob(path.rsplit("/", 1)[1]) or b""
            return self._send(h, 200, bytes(b ^ 0xFF for b in data), "application/octet-stream")
        if path.startswith("/token"):  # the realm of another registry: would issue anything
            if self.mode == "endless-token":
                return self._endless(h, 200, "application/json")
            return self._send(h, 200, b'{"token":"t0ken"}', "application/json")
        return self._send(h, 405, b'{"errors":[{"code":"UNSUPPORTED","message":"read-only"}]}',
                          "application/json")

    def _authorized(self, h: BaseHTTPRequestHandler) -> bool:
        given = h.headers.get("Authorization", "")
        if self.mode in ("token-elsewhere", "endless-token") and not given.startswith("Bearer "):
            h.send_response(401)
            realm = self.realm or f"http://{self.host}/token"
            h.send_header("WWW-Authenticate", f'Bearer realm="{realm}",service="hostile"')
            h.send_header("Content-Length", "0")
            h.end_headers()
            return False
        if self.basic is not None:
            expected = "Basic " + base64.b64encode(f"{self.basic[0]}:{self.basic[1]}".encode()).decode()
            if given != expected:
                h.send_response(401)
                h.send_header("WWW-Authenticate", 'Basic realm="hostile"')
                h.send_header("Content-Length", "0")
                h.end_headers()
                return False
        return True

    def _send(self, h: BaseHTTPRequestHandler, status: int, body: bytes, content_type: str,
              headers: dict[str, str] | None = None) -> None:
        h.send_response(status)
        h.send_header("Content-Type", content_type)
        h.send_header("Content-Length", str(len(body)))
        if self.cookie:
            h.send_header("Set-Cookie", f"session={self.cookie}; Path=/")
        for key, value in (headers or {}).items():
            h.send_header(key, value)
        h.end_headers()
        if h.command != "HEAD":
            h.wfile.write(body)

    def _endless(self, h: BaseHTTPRequestHandler, status: int, content_type: str) -> None:
        h.send_response(status)
        h.send_header("Content-Type", content_type)
        h.send_header("Connection", "close")  # no length: the body ends only when the connection does
        h.end_headers()
        h.close_connection = True
        if h.command == "HEAD":
            return
        deadline = time.monotonic() + ENDLESS_SECONDS
        sent = 0
        try:
            while sent < ENDLESS_CAP and time.monotonic() < deadline:
                h.wfile.write(_CHUNK)
                sent += len(_CHUNK)
        except OSError:  # the client hung up: what a careful one does
            pass
        finally:
            self.sent_bytes += sent
