"""What the Kubernetes cross-check needs to know about an image, and the checks that use it (SG440-SG449)."""

from __future__ import annotations

__all__ = ["FileCapability", "ImageFacts", "cross_check", "decode_capability_xattr"]

from collections.abc import Callable
from dataclasses import dataclass

from slimgo.lint.findings import Finding, Severity
from slimgo.lint.k8s.checks import Container, containers
from slimgo.lint.k8s.nodes import Y
from slimgo.lint.k8s.workloads import PodSite

# Linux capability numbers (include/uapi/linux/capability.h), for decoding security.capability xattrs.
CAPABILITY_NAMES = (
    "CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID", "SETPCAP",
    "LINUX_IMMUTABLE", "NET_BIND_SERVICE", "NET_BROADCAST", "NET_ADMIN", "NET_RAW", "IPC_LOCK", "IPC_OWNER",
    "SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT", "SYS_ADMIN", "SYS_BOOT", "SYS_NICE",
    "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD", "LEASE", "AUDIT_WRITE", "AUDIT_CONTROL", "SETFCAP",
    "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG", "WAKE_ALARM", "BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF",
    "CHECKPOINT_RESTORE",
)


@dataclass(frozen=True)
class FileCapability:
    """A file in the image that carries a security.capability xattr."""

    path: str
    permitted: tuple[str, ...]
    effective: bool


@dataclass(frozen=True)
class ImageFacts:
    """The parts of an image's config and root filesystem that decide whether a pod spec can run it."""

    reference: str
    user: str = ""  # config.User exactly as written: "", "0", "root", "65532", "nonroot:nonroot", "1000:1000"
    exposed_ports: tuple[int, ...] = ()
    volumes: tuple[str, ...] = ()
    # Directories the image's own files mark as scratch space (world-writable, e.g. /tmp 1777).
    writable_dirs: tuple[str, ...] = ()
    file_capabilities: tuple[FileCapability, ...] = ()
    # Layer entries refused by slimgo.layercheck, as "layer sha256:... entry 'name' <cause>".
    unsafe_entries: tuple[str, ...] = ()

    @property
    def uid(self) -> int | None:
        """The numeric UID of USER; None when it is empty or a name (the kubelet cannot resolve names)."""
        head = self.user.split(":", 1)[0]
        return int(head) if head.isdigit() else None

    @property
    def runs_as_root(self) -> bool:
        return self.user.split(":", 1)[0] in ("", "0", "root")


def decode_capability_xattr(raw: bytes) -> tuple[tuple[str, ...], bool] | None:
    """(permitted capability names, effective bit) from a vfs_cap_data value; None when malformed."""
    if len(raw) < 12:
        return None
    magic = int.from_bytes(raw[0:4], "little")
    revision = magic & 0xFF000000
    words = 1 if revision == 0x01000000 else 2
    if revision not in (0x01000000, 0x02000000, 0x03000000) or len(raw) < 4 + 8 * words:
        return None
    bits = 0
    for i in range(words):
        permitted = int.from_bytes(raw[4 + 8 * i : 8 + 8 * i], "little")
        bits |= permitted << (32 * i)
    names = tuple(name for n, name in enumerate(CAPABILITY_NAMES) if bits >> n & 1)
    unknown = tuple(f"CAP_{n}" for n in range(len(CAPABILITY_NAMES), 64) if bits >> n & 1)
    return names + unknown, bool(magic & 0x1)


def _effective(c: Container, spec: Y, *keys: str) -> Y | None:
    """Container securityContext value, else the pod's (the kubelet's inheritance for user settings)."""
    node = c.sc_value(*keys)
    if node is not None and not node.is_null:
        return node
    return spec.dig("securityContext", *keys)


def _image_matches(c: Container, reference: str) -> bool:
    node = c.node.get("image")
    image = node.text if node is not None else None
    if not image:
        return False
    def repo(ref: str) -> str:
        ref = ref.split("@", 1)[0]
        last = ref.rsplit("/", 1)[-1]
        if ":" in last:
            ref = ref[: len(ref) - len(last)] + last.split(":", 1)[0]
        return ref.rsplit("/", 1)[-1]
    return repo(image) == repo(reference)


def _targets(spec: Y, facts: ImageFacts) -> list[Container]:
    all_containers = containers(spec)
    matched = [c for c in all_containers if _image_matches(c, facts.reference)]
    return matched or [c for c in all_containers if c.field == "containers"]


Emit = Callable[..., None]


def cross_check(path: str, site: PodSite, facts: ImageFacts) -> list[Finding]:
    """Findings where the pod spec and the image disagree in ways that stop or break the container."""
    out: list[Finding] = []
    spec = site.spec

    def emit(rule: str, line: int, message: str, fix: str, severity: Severity = Severity.ERROR) -> None:
        out.append(Finding(path=path, line=line, rule=rule, severity=severity,
                           message=f"{site.label}: {message}", fix=fix))

    sysctl_start = _unprivileged_port_start(spec)
    for c in _targets(spec, facts):
        _check_non_root(emit, c, spec, facts)
        _check_read_only(emit, c, spec, facts)
        _check_low_ports(emit, c, spec, facts, sysctl_start)
        _check_file_capabilities(emit, c, facts)
        _check_unsafe_layers(emit, c, facts)
    return out


def _check_non_root(emit: Emit, c: Container, spec: Y, facts: ImageFacts) -> None:
    """SG440: runAsNonRoot with an image USER the kubelet cannot verify as non-root."""
    non_root = _effective(c, spec, "runAsNonRoot")
    run_as_user = _effective(c, spec, "runAsUser")
    refused = facts.uid is None or facts.uid == 0
    if non_root is not None and non_root.boolean and run_as_user is None and refused:
        why = ("runs as root (USER is empty)" if facts.user == "" else
               f"has USER {facts.user!r}, which is root" if facts.runs_as_root else
               f"has the non-numeric USER {facts.user!r}, which the kubelet cannot verify as non-root")
        emit("SG440", non_root.line,
             f"container {c.name!r} sets runAsNonRoot=true but image {facts.reference} {why}; "
             "the kubelet refuses to start it (CreateContainerConfigError)",
             f"{c.sc_path('runAsUser')}: 65532")


def _check_read_only(emit: Emit, c: Container, spec: Y, facts: ImageFacts) -> None:
    """SG441: a read-only root filesystem over an image that expects to write a scratch directory."""
    read_only = c.sc_value("readOnlyRootFilesystem")
    if read_only is None or not read_only.boolean:
        return
    mounts = [m.text for m in _mount_paths(c)]
    for directory in facts.writable_dirs:
        covered = any(m is not None and (directory == m or directory.startswith(m.rstrip("/") + "/"))
                      for m in mounts) or directory in facts.volumes
        if not covered:
            name = directory.strip("/").replace("/", "-") or "root"
            emit("SG441", read_only.line,
                 f"container {c.name!r} has a read-only root filesystem but image {facts.reference} "
                 f"expects to write {directory}; writes there fail with EROFS",
                 f"{c.path}.volumeMounts[+]: {{name: {name}, mountPath: {directory}}} and "
                 f"{spec.path}.volumes[+]: {{name: {name}, emptyDir: {{}}}}",
                 Severity.WARNING)


def _check_low_ports(emit: Emit, c: Container, spec: Y, facts: ImageFacts, sysctl_start: int | None) -> None:
    """SG442: a port below 1024 bound by a non-root UID without NET_BIND_SERVICE."""
    run_as_user = _effective(c, spec, "runAsUser")
    uid = run_as_user.integer if run_as_user is not None else facts.uid
    adds = _effective_caps(c, "add")
    for port, line in _low_ports(c, facts):
        if uid is None or uid == 0 or "NET_BIND_SERVICE" in adds:
            continue
        if sysctl_start is not None and port >= sysctl_start:
            continue
        emit("SG442", line,
             f"container {c.name!r} listens on port {port} as non-root UID {uid} without NET_BIND_SERVICE; "
             "bind() fails with EACCES",
             f"{c.sc_path('capabilities', 'add')}: [\"NET_BIND_SERVICE\"] (or listen on a port >= 1024)")


def _check_file_capabilities(emit: Emit, c: Container, facts: ImageFacts) -> None:
    """SG443: drop ALL, and a file whose effective file capabilities the container does not add."""
    if "ALL" not in _effective_caps(c, "drop"):
        return
    adds = _effective_caps(c, "add")
    for fcap in facts.file_capabilities:
        missing = [cap for cap in fcap.permitted if cap not in adds]
        if fcap.effective and missing:
            emit("SG443", c.sc_line("capabilities", "drop"),
                 f"container {c.name!r} drops ALL capabilities but {fcap.path} in image {facts.reference} "
                 f"carries file capabilities {', '.join(missing)}; executing it fails with EPERM",
                 f"{c.sc_path('capabilities', 'add')}: {_flow(sorted(set(adds) | set(missing)))} "
                 f"(or remove the file capabilities from {fcap.path} with setcap -r)")


def _check_unsafe_layers(emit: Emit, c: Container, facts: ImageFacts) -> None:
    """SG444: a layer entry that `slimgo run`, `copy` and `build --base` refuse (see slimgo.layercheck)."""
    image = c.node.get("image")
    line = image.line if image is not None else c.node.line
    for entry in facts.unsafe_entries:
        emit("SG444", line,
             f"container {c.name!r} runs image {facts.reference}, whose {entry}; a runtime that trusts it may "
             "write outside the container's root filesystem",
             "rebuild the image from sources you trust (slimgo copy, build --base and run refuse it)")


def _flow(items: list[str]) -> str:
    return "[" + ", ".join(f'"{i}"' for i in items) + "]"


def _mount_paths(c: Container) -> list[Y]:
    mounts = c.node.get("volumeMounts")
    out: list[Y] = []
    for m in mounts.seq() if mounts is not None else []:
        node = m.get("mountPath")
        if node is not None:
            out.append(node)
    return out


def _effective_caps(c: Container, which: str) -> set[str]:
    node = c.sc_value("capabilities", which)
    return {cap.upper().removeprefix("CAP_") for cap in node.strings()} if node is not None else set()


def _low_ports(c: Container, facts: ImageFacts) -> list[tuple[int, int]]:
    seen: dict[int, int] = {}
    ports = c.node.get("ports")
    for port in ports.seq() if ports is not None else []:
        number = port.get("containerPort")
        if number is not None and number.integer is not None and 0 < number.integer < 1024:
            seen.setdefault(number.integer, number.line)
    for exposed in facts.exposed_ports:
        if 0 < exposed < 1024:
            seen.setdefault(exposed, c.node.line)
    return sorted(seen.items())


def _unprivileged_port_start(spec: Y) -> int | None:
    sysctls = spec.dig("securityContext", "sysctls")
    for item in sysctls.seq() if sysctls is not None else []:
        name = item.get("name")
        value = item.get("value")
        if name is not None and name.text == "net.ipv4.ip_unprivileged_port_start" and value is not None:
            text = value.text or ""
            if text.strip().isdigit():
                return int(text.strip())
    return None
