"""Cross-checks of a pod spec against its image: kubelet refusals, read-only roots, low ports, file capabilities."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

from slimgo.host import host_platform
from slimgo.lint.k8s import FileCapability, ImageFacts, image_facts, lint_kubernetes
from slimgo.lint.k8s.image import decode_capability_xattr

POD = """\
apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  securityContext:
    runAsNonRoot: true
    seccompProfile: {type: RuntimeDefault}
  containers:
    - name: web
      image: registry.example/web:1
      ports:
        - containerPort: 80
      securityContext:
        allowPrivilegeEscalation: false
        readOnlyRootFilesystem: true
        capabilities: {drop: [ALL]}
"""


def cross(text: str, facts: ImageFacts) -> dict[str, list[tuple[int, str]]]:
    out: dict[str, list[tuple[int, str]]] = {}
    for f in lint_kubernetes("pod.yaml", text, image=facts):
        if f.rule >= "SG440":
            out.setdefault(f.rule, []).append((f.line, f.fix))
    return out


def test_run_as_non_root_with_unverifiable_users() -> None:
    for user in ("", "root", "0", "nonroot", "app:app"):
        found = cross(POD, ImageFacts("oci:web", user=user, writable_dirs=()))
        assert found["SG440"] == [(6, "spec.containers[0].securityContext.runAsUser: 65532")], user
    assert "SG440" not in cross(POD, ImageFacts("oci:web", user="65532"))
    with_uid = POD.replace("    runAsNonRoot: true\n", "    runAsNonRoot: true\n    runAsUser: 1000\n")
    assert "SG440" not in cross(with_uid, ImageFacts("oci:web", user="nonroot"))


def test_read_only_root_with_a_scratch_dir() -> None:
    facts = ImageFacts("oci:web", user="65532", writable_dirs=("/tmp",))
    found = cross(POD, facts)
    assert found["SG441"][0][0] == 15 and "mountPath: /tmp" in found["SG441"][0][1]
    mounted = POD.replace("      securityContext:\n        allowPrivilegeEscalation",
                          "      volumeMounts: [{name: tmp, mountPath: /tmp}]\n"
                          "      securityContext:\n        allowPrivilegeEscalation")
    assert "SG441" not in cross(mounted, facts)


def test_low_port_needs_net_bind_service_for_non_root() -> None:
    found = cross(POD, ImageFacts("oci:web", user="65532"))
    assert found["SG442"] == [(12, 'spec.containers[0].securityContext.capabilities.add: ["NET_BIND_SERVICE"] '
                                   "(or listen on a port >= 1024)")]
    assert "SG442" not in cross(POD.replace("containerPort: 80", "containerPort: 8080"),
                                ImageFacts("oci:web", user="65532"))
    assert "SG442" not in cross(POD.replace("drop: [ALL]", "drop: [ALL], add: [NET_BIND_SERVICE]"),
                                ImageFacts("oci:web", user="65532"))
    exposed = ImageFacts("oci:web", user="65532", exposed_ports=(443,))
    assert [p for p in cross(POD.replace("containerPort: 80", "containerPort: 8080"), exposed)["SG442"]]


def test_file_capabilities_under_drop_all() -> None:
    facts = ImageFacts("oci:web", user="65532",
                       file_capabilities=(FileCapability("/usr/bin/ping", ("NET_RAW",), True),))
    found = cross(POD.replace("containerPort: 80", "containerPort: 8080"), facts)
    assert found["SG443"][0][0] == 16 and '"NET_RAW"' in found["SG443"][0][1]
    no_effective = ImageFacts("oci:web", user="65532",
                              file_capabilities=(FileCapability("/bin/x", ("NET_RAW",), False),))
    assert "SG443" not in cross(POD, no_effective)


def test_decode_capability_xattr() -> None:
    # VFS_CAP_REVISION_2 with the effective bit, permitted = NET_BIND_SERVICE (10) | NET_RAW (13)
    raw = (0x02000001).to_bytes(4, "little") + ((1 << 10) | (1 << 13)).to_bytes(4, "little") + bytes(12)
    assert decode_capability_xattr(raw) == (("NET_BIND_SERVICE", "NET_RAW"), True)
    assert decode_capability_xattr(b"\x00") is None


def _layer_tar() -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, mode in (("tmp", 0o1777), ("app", 0o755)):
            info = tarfile.TarInfo(name)
            info.type, info.mode = tarfile.DIRTYPE, mode
            tar.addfile(info)
        data = b"\x7fELF"
        info = tarfile.TarInfo("app/server")
        info.size, info.mode = len(data), 0o755
        cap = (0x02000001).to_bytes(4, "little") + (1 << 10).to_bytes(4, "little") + bytes(12)
        info.pax_headers = {"SCHILY.xattr.security.capability": cap.decode("utf-8", "surrogateescape")}
        tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def test_image_facts_from_an_oci_layout(tmp_path: Path) -> None:
    from slimgo.oci import mediatype
    from slimgo.oci.config import ImageConfig
    from slimgo.oci.descriptor import Descriptor
    from slimgo.oci.digest import Digest
    from slimgo.oci.image import BlobLayer, assemble
    from tests.stores.access import Location, write_artifact

    blob = _layer_tar()
    layer = BlobLayer(Descriptor(mediatype.OCI_LAYER, Digest.of(blob), len(blob)), Digest.of(blob),
                      lambda: io.BytesIO(blob))
    config = ImageConfig.empty(host_platform()).replace_runtime(
        User="nonroot", ExposedPorts={"80/tcp": {}, "9090/tcp": {}}, Volumes={"/data": {}})
    write_artifact(Location("oci", str(tmp_path / "img"), "v1"), assemble(config, [layer]))
    from slimgo.stores.transport import Stores

    facts = image_facts(f"oci:{tmp_path / 'img'}:v1", Stores(), host_platform())
    assert facts.user == "nonroot" and facts.uid is None
    assert facts.exposed_ports == (80, 9090)
    assert facts.volumes == ("/data",)
    assert facts.writable_dirs == ("/tmp",)
    assert facts.file_capabilities == (FileCapability("/app/server", ("NET_BIND_SERVICE",), True),)
