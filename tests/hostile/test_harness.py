"""The harness itself: a child's exit code, output and peak memory are read back truly."""

from __future__ import annotations

from pathlib import Path

from tests.hostile.harness import make_canary, run_cli, tree_digest


def test_run_cli_reports_exit_code_and_output() -> None:
    result = run_cli(["--version"])
    assert result.code == 0
    assert "slimgo" in result.out
    assert 5 < result.max_rss_mb < 200


def test_tree_digest_sees_a_write(tmp_path: Path) -> None:
    root, _ = make_canary(tmp_path / "home")
    before = tree_digest(root)
    (root / "notes.txt").write_text("changed\n")
    assert tree_digest(root) != before


def test_peak_rss_is_the_childs_own() -> None:
    """The test process's own size does not leak into a small child's figure (rusage after fork would)."""
    ballast = b"\x01" * (300 << 20)  # touched pages: the test process is now over 300 MB resident
    small = run_cli(["--version"])
    assert small.max_rss_mb < 100
    del ballast
