"""Bad input gives an ElfError naming the file, the cause and the fix; never another exception."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from slimgo.elf._reader import open_elf
from slimgo.elf.buildinfo import MAGIC, read_buildinfo
from slimgo.elf.linking import read_linking
from slimgo.elf.pclntab import read_functions
from slimgo.errors import ElfError

READERS = [read_linking, read_buildinfo, read_functions]


@pytest.mark.parametrize("reader", READERS)
def test_missing_empty_directory_and_non_elf(reader: object, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.write_bytes(b"")
    script = tmp_path / "script"
    script.write_text("#!/bin/sh\necho hi\n")
    cases = {
        tmp_path / "missing": "no such file",
        empty: "is empty",
        tmp_path: "is a directory",
        script: "not an ELF file (a script",
    }
    for path, cause in cases.items():
        with pytest.raises(ElfError) as info:
            reader(path)  # type: ignore[operator]
        assert cause in info.value.cause
        assert info.value.subject == str(path)
        assert info.value.fix


def _cuts(size: int) -> list[int]:
    # every byte of the ELF and program headers, then evenly spread cuts through the rest
    return sorted(set(range(0, 1024)) | set(range(1024, size, max(1, size // 300))))


@pytest.mark.integration
def test_every_truncation_is_an_elf_error_or_a_result(gobin: dict[str, Path], tmp_path: Path) -> None:
    data = gobin["arm64"].read_bytes()
    cut_file = tmp_path / "cut"
    outcomes = {"error": 0, "ok": 0}
    for cut in _cuts(len(data)):
        cut_file.write_bytes(data[:cut])
        for reader in READERS:
            try:
                reader(cut_file)
                outcomes["ok"] += 1
            except ElfError as err:
                assert err.subject == str(cut_file) and err.cause
                outcomes["error"] += 1
    assert outcomes["error"] > 0 and outcomes["ok"] > 0


def _section_offset(path: Path, name: str) -> int:
    with open_elf(path) as image:
        sec = image.section(name)
        assert sec is not None
        return sec.offset


@pytest.mark.integration
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(where=st.integers(min_value=0, max_value=15), value=st.integers(min_value=0, max_value=2**32 - 1))
def test_corrupt_pclntab_header_offsets(gobin: dict[str, Path], tmp_path_factory: pytest.TempPathFactory,
                                        where: int, value: int) -> None:
    source = gobin["i386"]  # 32-bit: header fields are 4 bytes each after the 8-byte prefix
    data = bytearray(source.read_bytes())
    at = _section_offset(source, ".gopclntab") + 8 + 4 * (where % 8)
    if where >= 8:  # or corrupt a function record offset in the function table
        table = _section_offset(source, ".gopclntab")
        pcln = struct.unpack_from("<I", data, table + 8 + 4 * 7)[0]
        at = table + pcln + 4 + 8 * (where - 8)
    struct.pack_into("<I", data, at, value)
    broken = tmp_path_factory.mktemp("pcln") / "bin"
    broken.write_bytes(bytes(data))
    try:
        funcs = read_functions(broken)
    except ElfError as err:
        assert "pclntab" in err.cause or "function" in err.cause
    else:
        assert all(f.size >= 0 and f.padding >= 0 for f in funcs)


@pytest.mark.integration
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(where=st.integers(min_value=14, max_value=60), value=st.integers(min_value=0, max_value=255))
def test_corrupt_buildinfo_bytes(gobin: dict[str, Path], tmp_path_factory: pytest.TempPathFactory,
                                 where: int, value: int) -> None:
    data = bytearray(gobin["arm64"].read_bytes())
    at = data.find(MAGIC)
    data[at + where] = value
    broken = tmp_path_factory.mktemp("bi") / "bin"
    broken.write_bytes(bytes(data))
    try:
        info = read_buildinfo(broken)
    except ElfError as err:
        assert err.subject == str(broken)
    else:
        assert isinstance(info.go_version, str)


def _with_endless_verneed(source: Path, out: Path) -> Path:
    """A copy whose .gnu.version_r claims 2**32-1 records, each pointing back at itself."""
    data = bytearray(source.read_bytes())
    with open_elf(source) as image:
        header = image.elf.header
        index = next(i for i, sec in enumerate(image.elf.iter_sections()) if sec.name == ".gnu.version_r")
        verneed = image.section(".gnu.version_r")
    assert verneed is not None and header["e_ident"]["EI_CLASS"] == "ELFCLASS64"
    struct.pack_into("<I", data, header["e_shoff"] + index * header["e_shentsize"] + 0x2C, 0xFFFFFFFF)  # sh_info
    struct.pack_into("<I", data, verneed.offset + 12, 0)  # vn_next: the same record again
    out.write_bytes(bytes(data))
    return out


@pytest.mark.integration
@pytest.mark.timeout(60)
def test_a_damaged_version_table_cannot_hang_the_reader(gobin: dict[str, Path], tmp_path: Path) -> None:
    broken = _with_endless_verneed(gobin["default"], tmp_path / "endless")
    with pytest.raises(ElfError) as info:
        read_linking(broken)
    assert ".gnu.version_r" in info.value.cause
    assert read_buildinfo(broken).go_version.startswith("go")  # the other parts still read


def test_a_text_file_is_named_as_such(tmp_path: Path) -> None:
    for name, content in (("ascii", b"hello\n"), ("utf8", "héllo wörld\n".encode()), ("binary", b"\x01\x02\xff\0")):
        path = tmp_path / name
        path.write_bytes(content)
        with pytest.raises(ElfError) as info:
            read_linking(path)
        expected = "starts with bytes 01 02 ff 00" if name == "binary" else "(a text file)"
        assert expected in info.value.cause


def _dynamic_regions(path: Path) -> list[tuple[int, int]]:
    """Where the ELF and program headers, the section headers and the dynamic-linking tables lie."""
    with open_elf(path) as image:
        header = image.elf.header
        regions = [(0, 64), (header["e_phoff"], header["e_phnum"] * header["e_phentsize"]),
                   (header["e_shoff"], header["e_shnum"] * header["e_shentsize"])]
        names = (".dynamic", ".dynsym", ".dynstr", ".gnu.version", ".gnu.version_r", ".interp", ".note.go.buildid")
        regions += [(sec.offset, min(sec.size, 512)) for sec in image.sections if sec.name in names]
    return regions


@pytest.mark.integration
@pytest.mark.timeout(120)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(picks=st.lists(st.tuples(st.integers(min_value=0, max_value=2**31), st.integers(min_value=0, max_value=255)),
                      min_size=1, max_size=4))
def test_corrupt_headers_and_dynamic_tables(gobin: dict[str, Path], tmp_path_factory: pytest.TempPathFactory,
                                            picks: list[tuple[int, int]]) -> None:
    from slimgo.inspect.binary import inspect_binary

    source = gobin["cgo_pie"]  # dynamic: interpreter, needed libraries, symbol versions
    regions = _dynamic_regions(source)
    data = bytearray(source.read_bytes())
    for where, value in picks:
        offset, size = regions[where % len(regions)]
        data[offset + (where // len(regions)) % max(size, 1)] = value
    broken = tmp_path_factory.mktemp("dyn") / "bin"
    broken.write_bytes(bytes(data))
    try:
        report = inspect_binary(broken, compress=False)
    except ElfError as err:  # only when the ELF header itself is unreadable
        assert err.subject == str(broken) and err.cause
        _assert_own_words(err)
    else:
        assert report.file_bytes == len(data)
        for problem in report.problems:  # pyelftools' and Python's own messages never reach the user
            assert not any(word in problem.message for word in FOREIGN), problem


# Text that only makes sense to someone reading pyelftools' or Python's source, never shown to a user.
FOREIGN = ("ssize_t", "String Table", "Container", "struct.error", "unpack", "Traceback", "ELFParseError",
           "elftools", "object has no attribute", "index out of range")


def _assert_own_words(err: ElfError) -> None:
    text = f"{err.cause} {err.fix}"
    assert err.fix, f"no fix for: {err.cause}"
    assert not any(word in text for word in FOREIGN), text


def test_special_files_are_refused_without_reading_them(tmp_path: Path) -> None:
    import time

    from tests.elf.hostile_files import fifo, symlink_loop

    dangling = tmp_path / "dangling"
    dangling.symlink_to(tmp_path / "gone")
    cases = {
        fifo(tmp_path / "pipe"): "is a named pipe (FIFO)",  # opening it for reading would wait for a writer
        Path("/dev/zero"): "is a character device",  # reading it would never end
        symlink_loop(tmp_path): "symbolic link loop",
        dangling: "symbolic link to",
    }
    for path, cause in cases.items():
        for reader in READERS:
            start = time.monotonic()
            with pytest.raises(ElfError) as info:
                reader(path)
            assert time.monotonic() - start < 1
            assert cause in info.value.cause and info.value.subject == str(path)
            assert info.value.exit_code == 2
            _assert_own_words(info.value)


@pytest.mark.integration
@pytest.mark.timeout(30)
def test_a_forged_section_count_costs_bounded_work(gobin: dict[str, Path], tmp_path: Path) -> None:
    import time

    from slimgo.elf._reader import MAX_SECTIONS
    from tests.elf.hostile_files import many_sections

    many = many_sections(gobin["static"], tmp_path / "many", 300_000)
    start = time.monotonic()
    with open_elf(many) as image:
        assert len(image.sections) == MAX_SECTIONS
        assert image.notes and "300,000 section headers" in image.notes[0]
        assert image.section(".gopclntab") is not None  # the real headers come first and keep their names
    assert read_functions(many) == read_functions(gobin["static"])
    assert read_linking(many).static
    assert time.monotonic() - start < 5


@pytest.mark.integration
@pytest.mark.timeout(30)
def test_a_forged_program_header_count_costs_bounded_work(gobin: dict[str, Path], tmp_path: Path) -> None:
    import time

    from slimgo.elf._reader import MAX_SEGMENTS
    from tests.elf.hostile_files import many_segments

    forged = many_segments(gobin["static"], tmp_path / "segments", 10_000_000)  # a 560 MB sparse table
    start = time.monotonic()
    with open_elf(forged) as image:
        assert len(image.segments) == MAX_SEGMENTS
        assert any("10,000,000 program headers" in note for note in image.notes)
    assert time.monotonic() - start < 5


@pytest.mark.integration
@pytest.mark.timeout(30)
def test_sparse_giants_are_read_where_they_hold_data(gobin: dict[str, Path], tmp_path: Path) -> None:
    import time

    from tests.elf.hostile_files import GIB, sparse_copy, sparse_segment

    start = time.monotonic()
    giant = sparse_copy(gobin["static"], tmp_path / "giant", 2 * GIB)
    assert read_buildinfo(giant) == read_buildinfo(gobin["static"])
    assert read_functions(giant) == read_functions(gobin["static"])
    hollow = sparse_segment(tmp_path / "hollow", 2 * GIB)  # a 2 GiB segment to scan for Go's tables, all hole
    with pytest.raises(ElfError) as info:
        read_functions(hollow)
    assert "no Go function table" in info.value.cause
    _assert_own_words(info.value)
    assert time.monotonic() - start < 5


@pytest.mark.integration
def test_truncations_are_told_in_slimgo_words(gobin: dict[str, Path], tmp_path: Path) -> None:
    from slimgo.inspect.binary import inspect_binary

    for name in ("static", "stripped", "cgo_pie"):
        data = gobin[name].read_bytes()
        cut_file = tmp_path / name
        for cut in range(64, len(data), max(1, len(data) // 40)):
            cut_file.write_bytes(data[:cut])
            try:
                report = inspect_binary(cut_file, compress=False)
            except ElfError as err:
                _assert_own_words(err)
            else:
                for problem in report.problems:
                    assert not any(word in problem.message for word in FOREIGN), problem


@pytest.mark.integration
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(field=st.sampled_from([0x20, 0x28, 0x36, 0x38, 0x3A, 0x3C, 0x3E]),
       value=st.sampled_from([0, 1, 0xFFFF, 2**31, 2**32 - 1, 2**63, 2**64 - 1]))
def test_huge_header_fields(gobin: dict[str, Path], tmp_path_factory: pytest.TempPathFactory,
                            field: int, value: int) -> None:
    """e_phoff, e_shoff and the entry counts and sizes set to 0, 2**63 or 2**64-1: an error or a report,
    both in slimgo's words ("Python int too large to convert to C ssize_t" was one such message)."""
    from slimgo.inspect.binary import inspect_binary

    data = bytearray(gobin["static"].read_bytes())
    width = 8 if field in (0x20, 0x28) else 2
    struct.pack_into("<Q" if width == 8 else "<H", data, field, value % (1 << (8 * width)))
    broken = tmp_path_factory.mktemp("huge") / "bin"
    broken.write_bytes(bytes(data))
    try:
        report = inspect_binary(broken, compress=False)
    except ElfError as err:
        _assert_own_words(err)
    else:
        for problem in report.problems:
            assert not any(word in problem.message for word in FOREIGN), problem
