"""`slimgo report`: one offline HTML page, opened in headless Chromium at a desktop and a phone width."""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import require_tool
from tests.report.conftest import Slimgo, copy_fixture

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
# Chromium will not make a window narrower than 500 px, so the page is measured in an iframe of the exact width
# (same-origin with --allow-file-access-from-files); the report itself carries no script.
WRAPPER = """<!doctype html><html><body style="margin:0">
<iframe id="page" src="report.html" style="border:0;width:{width}px;height:2400px"></iframe>
<script>
document.getElementById('page').addEventListener('load', () => {{
  const doc = document.getElementById('page').contentDocument;
  const out = document.createElement('pre');
  out.id = 'probe-' + 'out';  // split, so the pattern below does not match this source
  out.textContent = JSON.stringify({{
    entries: doc.querySelectorAll('svg.treemap rect.entry').length,
    declared: Number(doc.querySelector('svg.treemap').dataset.entries),
    svgs: [...doc.querySelectorAll('svg')].map(s => s.getBoundingClientRect()).map(r => [r.width, r.height]),
    bars: doc.querySelectorAll('svg.bars').length,
    viewport: doc.documentElement.clientWidth,
    scrollWidth: doc.documentElement.scrollWidth,
  }});
  document.body.appendChild(out);
}});
</script></body></html>"""


def _chromium(*args: str) -> subprocess.CompletedProcess[str]:
    binary = require_tool("chromium")
    return subprocess.run([binary, "--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr",
                           "--v=0", "--allow-file-access-from-files", "--virtual-time-budget=5000", *args],
                          capture_output=True, text=True, timeout=90, check=False)


def _probe(page: Path, width: int) -> tuple[dict[str, Any], str]:
    wrapper = page.with_name(f"at-{width}.html")
    wrapper.write_text(WRAPPER.format(width=width))
    done = _chromium(f"--window-size={max(width, 500) + 20},2500", "--dump-dom", wrapper.as_uri())
    match = re.search(r'<pre id="probe-out">(.*?)</pre>', done.stdout, re.S)
    assert match, done.stderr[-2000:]
    return json.loads(html.unescape(match.group(1))), done.stderr


def test_report_renders_offline_at_desktop_and_phone_widths(slimgo: Slimgo, go: str, tmp_path: Path) -> None:
    require_tool("docker-registry")
    hello = tmp_path / "hello"
    shutil.copytree(EXAMPLES / "hello", hello)
    layout = tmp_path / "oci"
    assert slimgo("build", "-o", f"oci:{layout}:hello", cwd=hello).code == 0
    cli = copy_fixture("stdincli", tmp_path)
    benched = slimgo("bench", "-n", "1", "--variant", "strip", "--json", ".", cwd=cli)
    assert benched.code == 0, benched.err
    (tmp_path / "bench.json").write_text(benched.out)
    inspected = json.loads(slimgo("inspect", f"oci:{layout}:hello", "--json").out)

    out = tmp_path / "report.html"
    made = slimgo("report", f"oci:{layout}:hello", "--bench", str(tmp_path / "bench.json"), "-o", str(out))
    assert made.code == 0, made.err
    text = out.read_text()
    assert not re.search(r"""\b(src|href)\s*=|@import|url\(""", text), "the page must not load anything"

    packages = [p for p in inspected["size"]["packages"] if p["size"] > 0]
    for width in (1280, 390):
        probe, log = _probe(out, width)
        assert "CONSOLE" not in log and "Failed to load" not in log, log[-2000:]
        assert probe["entries"] == probe["declared"] == len(packages)  # one rectangle per package entry
        in_runc = [key for key in ("startup_container_ms", "rss_container_bytes")
                   if json.loads(benched.out)["variants"][0][key] is not None]
        assert probe["bars"] == 5 + len(in_runc)  # the runc charts only when the bench could start containers
        assert probe["svgs"] and all(w > 0 and h > 0 for w, h in probe["svgs"])
        assert width - 20 <= probe["viewport"] <= width, "measured at the asked width (less a scrollbar)"
        assert probe["scrollWidth"] <= probe["viewport"], "nothing wider than the window"
        shot = tmp_path / f"report-{width}.png"
        _chromium(f"--window-size={max(width, 500) + 20},2400", f"--screenshot={shot}",
                  out.with_name(f"at-{width}.html").as_uri())
        assert shot.stat().st_size > 10_000  # kept under the pytest tmp dir as the test's artefact


def test_a_binary_without_bench(slimgo: Slimgo, go: str, tmp_path: Path) -> None:
    src = copy_fixture("stdincli", tmp_path)
    assert subprocess.run([go, "build", "-o", str(tmp_path / "cli"), "."], cwd=src, check=False).returncode == 0
    made = slimgo("report", str(tmp_path / "cli"), "-o", str(tmp_path / "r.html"))
    assert made.code == 0, made.err
    text = (tmp_path / "r.html").read_text()
    assert 'class="treemap"' in text and "Bench:" not in text and "Layers" not in text


def test_bad_bench_document_writes_nothing(slimgo: Slimgo, go: str, tmp_path: Path) -> None:
    src = copy_fixture("stdincli", tmp_path)
    assert subprocess.run([go, "build", "-o", str(tmp_path / "cli"), "."], cwd=src, check=False).returncode == 0
    (tmp_path / "bench.json").write_text('{"kind": "slimgo.inspect.report"}')
    made = slimgo("report", str(tmp_path / "cli"), "--bench", str(tmp_path / "bench.json"), "-o",
                  str(tmp_path / "r.html"))
    assert made.code == 2 and "is not a slimgo.bench document" in made.err
    assert list(tmp_path.glob("*.html")) == [] and list(tmp_path.glob(".slimgo-report-*")) == []


def test_a_binary_that_is_not_go_is_refused(slimgo: Slimgo, tmp_path: Path) -> None:
    not_go = Path("/bin/ls")
    if not not_go.exists():
        pytest.skip("needs /bin/ls, an ELF binary that is not Go")
    made = slimgo("report", str(not_go), "-o", str(tmp_path / "r.html"))
    assert made.code == 1 and "no Go build information" in made.err
    assert not (tmp_path / "r.html").exists()


def test_the_reports_quick_read_gives_the_same_function_sizes(go: str, tmp_path: Path) -> None:
    """The report skips the table and data shares; the function sizes, walked from pcsp alone, must not change."""
    from slimgo.elf._reader import open_elf
    from slimgo.elf.pclntab import func_table_of

    binary = tmp_path / "hello"
    subprocess.run([go, "build", "-o", str(binary), "."], cwd=EXAMPLES / "hello", check=True, capture_output=True,
                   timeout=300)
    with open_elf(binary) as image:
        full, quick = func_table_of(image), func_table_of(image, shares=False)
    assert full.shares is not None and quick.shares is None
    assert quick.sizes == full.sizes and quick.paddings == full.paddings and quick.names == full.names
    assert len(quick.sizes) > 1000  # net/http: a real table, not an empty one
