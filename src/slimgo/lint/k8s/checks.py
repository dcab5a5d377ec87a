"""Pod Security Standards (baseline, restricted) as upstream pod-security-admission checks them, per field."""

from __future__ import annotations

__all__ = ["LEVELS", "Container", "check_pod", "containers"]

from collections.abc import Iterator
from dataclasses import dataclass

from slimgo.lint.findings import Finding, Severity
from slimgo.lint.k8s.nodes import Y
from slimgo.lint.k8s.policy import Policy
from slimgo.lint.k8s.workloads import PodSite

LEVELS = ("baseline", "restricted")

# check_capabilities_baseline.go: the container runtime's default set.
BASELINE_CAPABILITIES = frozenset({
    "AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD", "NET_BIND_SERVICE",
    "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT",
})
# check_sysctls.go: the safe set grew over releases; (first minor version, names it added).
SYSCTLS_ADDED: tuple[tuple[int, tuple[str, ...]], ...] = (
    (0, ("kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.tcp_syncookies",
         "net.ipv4.ping_group_range", "net.ipv4.ip_unprivileged_port_start")),
    (27, ("net.ipv4.ip_local_reserved_ports",)),
    (29, ("net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl",
          "net.ipv4.tcp_keepalive_probes")),
    (32, ("net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem")),
    (37, ("net.ipv4.tcp_slow_start_after_idle", "net.ipv4.tcp_notsent_lowat")),
)
# check_seLinuxOptions.go (1.31 adds container_engine_t).
SELINUX_TYPES_1_0 = frozenset({"", "container_t", "container_init_t", "container_kvm_t"})
SELINUX_TYPES = SELINUX_TYPES_1_0 | {"container_engine_t"}
# check_seccompProfile_baseline.go before 1.19: the alpha annotations instead of the field.
SECCOMP_POD_ANNOTATION = "seccomp.security.alpha.kubernetes.io/pod"
SECCOMP_CONTAINER_ANNOTATION_PREFIX = "container.seccomp.security.alpha.kubernetes.io/"
SECCOMP_TYPES = frozenset({"RuntimeDefault", "Localhost"})
APPARMOR_TYPES = frozenset({"RuntimeDefault", "Localhost"})
APPARMOR_ANNOTATION_PREFIX = "container.apparmor.security.beta.kubernetes.io/"
# check_restrictedVolumes.go: inline volume sources allowed at restricted.
RESTRICTED_VOLUME_TYPES = frozenset({
    "configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "image", "persistentVolumeClaim", "projected",
    "secret",
})
KNOWN_VOLUME_TYPES = (
    "hostPath", "gcePersistentDisk", "awsElasticBlockStore", "gitRepo", "nfs", "iscsi", "glusterfs", "rbd",
    "flexVolume", "cinder", "cephfs", "flocker", "fc", "azureFile", "vsphereVolume", "quobyte", "azureDisk",
    "photonPersistentDisk", "portworxVolume", "scaleIO", "storageos",
)
CONTAINER_FIELDS = ("initContainers", "containers", "ephemeralContainers")
NONROOT_UID = 65532


def safe_sysctls(minor: int) -> frozenset[str]:
    """The sysctls baseline allows at policy version v1.<minor>."""
    return frozenset(name for since, names in SYSCTLS_ADDED if since <= minor for name in names)


@dataclass(frozen=True)
class Container:
    """One container of a pod spec, in upstream's visiting order: init, regular, ephemeral."""

    node: Y
    field: str
    index: int

    @property
    def name(self) -> str:
        n = self.node.get("name")
        return (n.text or "") if n is not None else f"{self.field}[{self.index}]"

    @property
    def path(self) -> str:
        return self.node.path

    @property
    def sc(self) -> Y | None:
        return self.node.get("securityContext")

    def sc_path(self, *keys: str) -> str:
        return ".".join([self.node.path, "securityContext", *keys])

    def sc_value(self, *keys: str) -> Y | None:
        sc = self.sc
        return sc.dig(*keys) if sc is not None else None

    def sc_line(self, *keys: str) -> int:
        """The line of the deepest part of securityContext.<keys> that exists."""
        return deepest_line(self.node, ("securityContext", *keys))


def deepest_line(node: Y, keys: tuple[str, ...]) -> int:
    """The line of the deepest part of ``node.<keys>`` that exists (where a patch for the rest would go)."""
    line = node.line
    cur: Y | None = node
    for key in keys:
        cur = cur.get(key) if cur is not None else None
        if cur is None:
            break
        line = cur.line
    return line


def containers(spec: Y) -> list[Container]:
    out: list[Container] = []
    for field in CONTAINER_FIELDS:
        node = spec.get(field)
        if node is None:
            continue
        out += [Container(item, field, i) for i, item in enumerate(node.seq()) if item.is_map]
    return out


class Checker:
    """Runs every check that applies at a level on one pod spec and collects per-field findings."""

    def __init__(self, path: str, site: PodSite, policy: Policy) -> None:
        self.path = path
        self.site = site
        self.spec = site.spec
        self.policy = policy
        self.minor = policy.effective_minor
        self.restricted = policy.level == "restricted"
        self.containers = containers(site.spec)
        self.findings: list[Finding] = []
        os_name = site.spec.dig("os", "name")
        # *_1_25: Windows pods are exempt from the Linux-only restricted checks.
        self.windows = os_name is not None and os_name.text == "windows" and self.minor >= 25
        host_users = site.spec.get("hostUsers")
        # check_*_1_35: a pod in a user namespace (hostUsers: false) is relaxed for these checks.
        self.user_namespace = host_users is not None and host_users.boolean is False and self.minor >= 35

    # -- helpers -------------------------------------------------------------------------------------------
    def emit(self, rule: str, line: int, message: str, fix: str, severity: Severity = Severity.ERROR) -> None:
        level = "restricted" if rule >= "SG420" else "baseline"
        if self.policy.minor is not None:
            level += f":v1.{self.policy.minor}"
        self.findings.append(Finding(
            path=self.path, line=line, rule=rule, severity=severity,
            message=f"{self.site.label}: {message} (Pod Security {level})", fix=fix,
        ))

    def pod_sc(self, *keys: str) -> Y | None:
        return self.spec.dig("securityContext", *keys)

    def pod_sc_path(self, *keys: str) -> str:
        return ".".join([self.spec.path, "securityContext", *keys])

    def pod_sc_line(self, *keys: str) -> int:
        return deepest_line(self.spec, ("securityContext", *keys))

    # -- baseline ------------------------------------------------------------------------------------------
    def host_namespaces(self) -> None:
        for key in ("hostNetwork", "hostPID", "hostIPC"):
            node = self.spec.get(key)
            if node is not None and node.boolean:
                self.emit("SG400", node.line, f"{key}=true shares the node's namespace with the pod",
                          f"{node.path}: false")

    def privileged(self) -> None:
        for c in self.containers:
            node = c.sc_value("privileged")
            if node is not None and node.boolean:
                self.emit("SG401", node.line, f"container {c.name!r} sets securityContext.privileged=true",
                          f"{node.path}: false")

    def capabilities_baseline(self) -> None:
        for c in self.containers:
            add = c.sc_value("capabilities", "add")
            if add is None:
                continue
            caps = add.strings()
            bad = [cap for cap in caps if cap not in BASELINE_CAPABILITIES]
            if bad:
                keep = [cap for cap in caps if cap in BASELINE_CAPABILITIES]
                self.emit("SG402", add.line,
                          f"container {c.name!r} adds non-default capabilities {', '.join(bad)}",
                          f"{add.path}: {_flow(keep)}" if keep else f"remove {add.path}")

    def host_path_volumes(self) -> None:
        for vol in _volumes(self.spec):
            host_path = vol.get("hostPath")
            if host_path is not None:
                self.emit("SG403", host_path.line, f"volume {_vol_name(vol)!r} is a hostPath volume",
                          f"{vol.path}: {{name: {_vol_name(vol)}, emptyDir: {{}}}}")

    def host_ports(self) -> None:
        for c in self.containers:
            ports = c.node.get("ports")
            for port in ports.seq() if ports is not None else []:
                host_port = port.get("hostPort")
                if host_port is not None and host_port.integer not in (None, 0):
                    self.emit("SG404", host_port.line,
                              f"container {c.name!r} binds hostPort {host_port.integer} on the node",
                              f"remove {host_port.path}")

    def apparmor(self) -> None:
        pod = self.pod_sc("appArmorProfile", "type")
        if pod is not None and pod.text not in APPARMOR_TYPES:
            self.emit("SG405", pod.line, f"pod sets AppArmor profile type {pod.text!r}",
                      f"{pod.path}: RuntimeDefault")
        for c in self.containers:
            node = c.sc_value("appArmorProfile", "type")
            if node is not None and node.text not in APPARMOR_TYPES:
                self.emit("SG405", node.line, f"container {c.name!r} sets AppArmor profile type {node.text!r}",
                          f"{node.path}: RuntimeDefault")
        annotations = self.site.metadata.get("annotations") if self.site.metadata is not None else None
        if annotations is None:
            return
        for key, value in annotations.items():
            if not key.startswith(APPARMOR_ANNOTATION_PREFIX):
                continue
            text = value.text or ""
            if text and text != "runtime/default" and not text.startswith("localhost/"):
                self.emit("SG405", value.line, f"annotation {key}={text!r} overrides the default AppArmor profile",
                          f"{annotations.path}[{key}]: runtime/default")

    def selinux(self) -> None:
        sites: list[tuple[str, Y]] = []
        pod = self.pod_sc("seLinuxOptions")
        if pod is not None:
            sites.append(("pod", pod))
        for c in self.containers:
            node = c.sc_value("seLinuxOptions")
            if node is not None:
                sites.append((f"container {c.name!r}", node))
        for who, opts in sites:
            type_node = opts.get("type")
            allowed = SELINUX_TYPES if self.minor >= 31 else SELINUX_TYPES_1_0
            if type_node is not None and (type_node.text or "") not in allowed:
                self.emit("SG406", type_node.line, f"{who} sets SELinux type {type_node.text!r}",
                          f"{type_node.path}: container_t")
            for key in ("user", "role"):
                node = opts.get(key)
                if node is not None and node.text:
                    self.emit("SG406", node.line, f"{who} sets SELinux {key} {node.text!r}",
                              f"remove {node.path}")

    def proc_mount(self, relaxed: bool) -> None:
        if relaxed and self.user_namespace:
            return
        for c in self.containers:
            node = c.sc_value("procMount")
            if node is not None and node.text is not None and node.text != "Default":
                self.emit("SG407", node.line, f"container {c.name!r} sets procMount {node.text!r}",
                          f"{node.path}: Default")

    def seccomp_baseline(self) -> None:
        if self.minor < 19:
            self.seccomp_annotations()
            return
        pod = self.pod_sc("seccompProfile", "type")
        if pod is not None and pod.text not in SECCOMP_TYPES:
            self.emit("SG408", pod.line, f"pod sets seccompProfile.type {pod.text!r}", f"{pod.path}: RuntimeDefault")
        for c in self.containers:
            node = c.sc_value("seccompProfile", "type")
            if node is not None and node.text not in SECCOMP_TYPES:
                self.emit("SG408", node.line, f"container {c.name!r} sets seccompProfile.type {node.text!r}",
                          f"{node.path}: RuntimeDefault")

    def seccomp_annotations(self) -> None:
        annotations = self.site.metadata.get("annotations") if self.site.metadata is not None else None
        if annotations is None:
            return
        keys = {SECCOMP_POD_ANNOTATION} | {SECCOMP_CONTAINER_ANNOTATION_PREFIX + c.name for c in self.containers}
        for key, value in annotations.items():
            text = value.text or ""
            if key in keys and text not in ("runtime/default", "docker/default") and not text.startswith("localhost/"):
                self.emit("SG408", value.line, f"annotation {key}={text!r} does not use the runtime's default "
                          "seccomp profile", f"{annotations.path}[{key}]: runtime/default")

    def sysctls(self) -> None:
        node = self.pod_sc("sysctls")
        safe = safe_sysctls(self.minor)
        for item in node.seq() if node is not None else []:
            name = item.get("name")
            text = name.text if name is not None else ""
            if text not in safe:
                self.emit("SG409", item.line, f"sysctl {text!r} is not in the safe set", f"remove {item.path}")

    def host_process(self) -> None:
        pod = self.pod_sc("windowsOptions", "hostProcess")
        if pod is not None and pod.boolean:
            self.emit("SG410", pod.line, "pod sets windowsOptions.hostProcess=true", f"{pod.path}: false")
        for c in self.containers:
            node = c.sc_value("windowsOptions", "hostProcess")
            if node is not None and node.boolean:
                self.emit("SG410", node.line, f"container {c.name!r} sets windowsOptions.hostProcess=true",
                          f"{node.path}: false")

    def probe_hosts(self) -> None:
        if self.minor < 34:
            return
        for c in self.containers:
            handlers: list[Y] = []
            for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
                node = c.node.get(probe)
                if node is not None:
                    handlers.append(node)
            for hook in ("postStart", "preStop"):
                node = c.node.dig("lifecycle", hook)
                if node is not None:
                    handlers.append(node)
            for handler in handlers:
                for kind in ("httpGet", "tcpSocket"):
                    host = handler.dig(kind, "host")
                    if host is not None and host.text:
                        self.emit("SG411", host.line,
                                  f"container {c.name!r} probes or hooks host {host.text!r} instead of the pod",
                                  f"remove {host.path}")

    # -- restricted ----------------------------------------------------------------------------------------
    def restricted_volumes(self) -> None:
        for vol in _volumes(self.spec):
            keys = [k for k, _ in vol.items() if k != "name"]
            # a volume with no source is defaulted to emptyDir by the API server before admission sees it
            if not keys or any(k in RESTRICTED_VOLUME_TYPES for k in keys):
                continue
            kind = next((k for k in KNOWN_VOLUME_TYPES if k in keys), "unknown")
            self.emit("SG420", vol.line, f"volume {_vol_name(vol)!r} uses restricted volume type {kind!r}",
                      f"{vol.path}: {{name: {_vol_name(vol)}, emptyDir: {{}}}}")

    def allow_privilege_escalation(self) -> None:
        if self.windows or self.minor < 8:
            return
        for c in self.containers:
            node = c.sc_value("allowPrivilegeEscalation")
            if node is None or node.boolean is not False:
                self.emit("SG421", node.line if node is not None else c.sc_line(),
                          f"container {c.name!r} must set securityContext.allowPrivilegeEscalation=false",
                          f"{c.sc_path('allowPrivilegeEscalation')}: false")

    def run_as_non_root(self) -> None:
        if self.user_namespace:
            return
        pod = self.pod_sc("runAsNonRoot")
        pod_true = pod is not None and pod.boolean is True
        pod_false = pod is not None and pod.boolean is False
        if pod is not None and pod_false:
            self.emit("SG422", pod.line, "pod sets securityContext.runAsNonRoot=false", f"{pod.path}: true")
        implicit: list[str] = []
        for c in self.containers:
            node = c.sc_value("runAsNonRoot")
            if node is not None and node.boolean is False:
                self.emit("SG422", node.line, f"container {c.name!r} sets securityContext.runAsNonRoot=false",
                          f"{node.path}: true")
            elif (node is None or node.boolean is None) and not pod_true:
                implicit.append(c.name)
        if implicit and not pod_false:  # the pod-level fix above already covers them
            self.emit("SG422", self.pod_sc_line("runAsNonRoot"),
                      f"pod or containers {', '.join(repr(n) for n in implicit)} must set "
                      "securityContext.runAsNonRoot=true",
                      f"{self.pod_sc_path('runAsNonRoot')}: true")

    def run_as_user(self) -> None:
        if self.user_namespace or self.minor < 23:
            return
        pod = self.pod_sc("runAsUser")
        if pod is not None and pod.integer == 0:
            self.emit("SG423", pod.line, "pod sets runAsUser=0 (root)", f"{pod.path}: {NONROOT_UID}")
        for c in self.containers:
            node = c.sc_value("runAsUser")
            if node is not None and node.integer == 0:
                self.emit("SG423", node.line, f"container {c.name!r} sets runAsUser=0 (root)",
                          f"{node.path}: {NONROOT_UID}")

    def seccomp_restricted(self) -> None:
        if self.windows:
            return
        pod = self.pod_sc("seccompProfile", "type")
        pod_set = False
        if pod is not None:
            pod_set = True  # an invalid pod value is reported once, below, and fixed at the pod
            if pod.text not in SECCOMP_TYPES:
                self.emit("SG424", pod.line, f"pod sets seccompProfile.type {pod.text!r}",
                          f"{pod.path}: RuntimeDefault")
        implicit: list[str] = []
        for c in self.containers:
            node = c.sc_value("seccompProfile")
            if node is not None:
                type_node = node.get("type")
                if type_node is None or type_node.text not in SECCOMP_TYPES:
                    shown = type_node.text if type_node is not None else None
                    self.emit("SG424", (type_node or node).line,
                              f"container {c.name!r} sets seccompProfile.type {shown!r}",
                              f"{c.sc_path('seccompProfile', 'type')}: RuntimeDefault")
            elif not pod_set:
                implicit.append(c.name)
        if implicit:
            self.emit("SG424", self.pod_sc_line("seccompProfile"),
                      f"pod or containers {', '.join(repr(n) for n in implicit)} must set "
                      "securityContext.seccompProfile.type to RuntimeDefault or Localhost",
                      f"{self.pod_sc_path('seccompProfile', 'type')}: RuntimeDefault")

    def capabilities_restricted(self) -> None:
        if self.windows:
            return
        for c in self.containers:
            drop = c.sc_value("capabilities", "drop")
            if drop is None or "ALL" not in drop.strings():
                self.emit("SG425", c.sc_line("capabilities", "drop"),
                          f"container {c.name!r} must drop ALL capabilities",
                          f"{c.sc_path('capabilities', 'drop')}: [\"ALL\"]")
            add = c.sc_value("capabilities", "add")
            caps = add.strings() if add is not None else []
            bad = [cap for cap in caps if cap != "NET_BIND_SERVICE"]
            if add is not None and bad:
                keep = [cap for cap in caps if cap == "NET_BIND_SERVICE"]
                fix = f"{add.path}: {_flow(keep)}" if keep else f"remove {add.path}"
                self.emit("SG426", add.line,
                          f"container {c.name!r} adds {', '.join(bad)}; only NET_BIND_SERVICE may be added", fix)

    def run(self) -> list[Finding]:
        self.host_namespaces()
        self.privileged()
        self.apparmor()
        self.selinux()
        self.sysctls()
        self.host_process()
        self.probe_hosts()
        self.host_ports()
        if self.restricted:
            # Restricted checks override their baseline twins (OverrideCheckIDs upstream), from the version
            # that introduced each; before it, the baseline check applies at restricted too.
            self.restricted_volumes()
            self.capabilities_restricted() if self.minor >= 22 else self.capabilities_baseline()
            self.seccomp_restricted() if self.minor >= 19 else self.seccomp_baseline()
            self.proc_mount(relaxed=False)
            self.allow_privilege_escalation()
            self.run_as_non_root()
            self.run_as_user()
        else:
            self.host_path_volumes()
            self.capabilities_baseline()
            self.seccomp_baseline()
            self.proc_mount(relaxed=True)
        return self.findings


def _volumes(spec: Y) -> Iterator[Y]:
    vols = spec.get("volumes")
    for vol in vols.seq() if vols is not None else []:
        if vol.is_map:
            yield vol


def _vol_name(vol: Y) -> str:
    name = vol.get("name")
    return (name.text or "") if name is not None else ""


def _flow(items: list[str]) -> str:
    return "[" + ", ".join(f'"{i}"' for i in items) + "]"


def check_pod(path: str, site: PodSite, policy: Policy) -> list[Finding]:
    """Every Pod Security finding for one pod spec under ``policy`` (privileged: none)."""
    if policy.level == "privileged":
        return []
    return Checker(path, site, policy).run()

