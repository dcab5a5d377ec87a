"""The throwaway cgroup a bench puts each container start in: cgroup v1 and v2 layouts, and what is left after."""

from __future__ import annotations

from pathlib import Path

from slimgo.runtime.cgroups import peak_group


def _v1(root: Path) -> Path:
    for controller in ("memory", "pids", "cpu,cpuacct"):
        (root / controller).mkdir(parents=True)
    (root / "memory" / "memory.max_usage_in_bytes").write_text("9999\n")
    return root / "memory"


def _v2(root: Path, controllers: str = "cpu memory pids") -> Path:
    root.mkdir()
    (root / "cgroup.controllers").write_text(controllers + "\n")
    (root / "cgroup.subtree_control").write_text(controllers + "\n")
    return root


def test_v1_reads_the_parents_high_water_mark_and_removes_every_copy(tmp_path: Path) -> None:
    memory = _v1(tmp_path)
    with peak_group(tmp_path) as group:
        assert group is not None
        name, leaf = group.cgroups_path.strip("/").split("/")
        parent = memory / name
        assert group.peak_file == parent / "memory.max_usage_in_bytes"
        group.peak_file.write_text("123456\n")  # what the kernel keeps there
        assert group.peak_bytes() == 123456
        for controller in ("memory", "pids", "cpu,cpuacct"):  # what runc makes under every v1 controller
            (tmp_path / controller / name / leaf).mkdir(parents=True, exist_ok=True)
        (parent / "memory.max_usage_in_bytes").unlink()  # a real cgroup directory holds only kernel files
    assert sorted(p.name for p in memory.iterdir()) == ["memory.max_usage_in_bytes"]
    assert not list((tmp_path / "pids").iterdir()) and not list((tmp_path / "cpu,cpuacct").iterdir())


def test_v2_reads_memory_peak_when_the_memory_controller_is_delegated(tmp_path: Path) -> None:
    root = _v2(tmp_path / "on")
    with peak_group(root) as group:
        assert group is not None
        name = group.cgroups_path.strip("/").split("/")[0]
        assert group.peak_file == root / name / "memory.peak"
        assert group.peak_bytes() is None, "no memory.peak (Linux < 5.19): nothing measured, not a zero"
        group.peak_file.write_text("2621440\n")
        assert group.peak_bytes() == 2621440
        group.peak_file.unlink()
    assert [p.name for p in root.iterdir() if p.is_dir()] == []
    with peak_group(_v2(tmp_path / "off", "cpu pids")) as group:
        assert group is None


def test_unreadable_or_zero_counters_are_not_measurements(tmp_path: Path) -> None:
    _v1(tmp_path)
    with peak_group(tmp_path) as group:
        assert group is not None
        group.peak_file.write_text("0\n")
        assert group.peak_bytes() is None
        group.peak_file.write_text("max\n")
        assert group.peak_bytes() is None
        group.peak_file.unlink()
        assert group.peak_bytes() is None


def test_no_cgroup_file_system_means_no_group(tmp_path: Path) -> None:
    with peak_group(tmp_path) as group:
        assert group is None


def test_a_flat_v1_hierarchy_cannot_show_a_childs_peak(tmp_path: Path) -> None:
    memory = _v1(tmp_path)
    (memory / "memory.use_hierarchy").write_text("0\n")
    with peak_group(tmp_path) as group:
        assert group is None
    (memory / "memory.use_hierarchy").write_text("1\n")
    with peak_group(tmp_path) as group:
        assert group is not None
