"""Go's path/filepath Clean and Match on '/'-separated paths, ported exactly for the .dockerignore port."""

from __future__ import annotations

__all__ = ["BadPattern", "clean", "match", "trim_space"]


class BadPattern(ValueError):
    """filepath.ErrBadPattern: the pattern is malformed."""

    def __init__(self, detail: str = "syntax error in pattern") -> None:
        super().__init__(detail)


def clean(path: str) -> str:
    """filepath.Clean: the shortest equivalent path; "" becomes ".", "/.." becomes "/"."""
    if path == "":
        return "."
    rooted = path.startswith("/")
    out: list[str] = []
    for part in path.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if out and out[-1] != "..":
                out.pop()
            elif not rooted:
                out.append("..")
            continue
        out.append(part)
    body = "/".join(out)
    if rooted:
        return "/" + body
    return body or "."


def _scan_chunk(pattern: str) -> tuple[bool, str, str]:
    star = False
    while pattern.startswith("*"):
        pattern = pattern[1:]
        star = True
    inrange = False
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            if i + 1 < len(pattern):
                i += 1
        elif c == "[":
            inrange = True
        elif c == "]":
            inrange = False
        elif c == "*" and not inrange:
            return star, pattern[:i], pattern[i:]
        i += 1
    return star, pattern, ""


def _get_esc(chunk: str) -> tuple[str, str]:
    if chunk == "" or chunk[0] in "-]":
        raise BadPattern()
    if chunk[0] == "\\":
        chunk = chunk[1:]
        if chunk == "":
            raise BadPattern()
    r, rest = chunk[0], chunk[1:]
    if r == "\ufffd":
        raise BadPattern()
    if rest == "":
        raise BadPattern()
    return r, rest


def _match_chunk(chunk: str, s: str) -> tuple[str, bool]:
    """Returns (rest, ok); raises BadPattern. Keeps checking syntax after a mismatch, as Go does."""
    failed = False
    while chunk:
        failed = failed or s == ""
        c = chunk[0]
        if c == "[":
            r = "\0"
            if not failed:
                r, s = s[0], s[1:]
            chunk = chunk[1:]
            negated = False
            if chunk.startswith("^"):
                negated = True
                chunk = chunk[1:]
            match = False
            nrange = 0
            while True:
                if chunk.startswith("]") and nrange > 0:
                    chunk = chunk[1:]
                    break
                lo, chunk = _get_esc(chunk)
                hi = lo
                if chunk[0] == "-":
                    hi, chunk = _get_esc(chunk[1:])
                match = match or lo <= r <= hi
                nrange += 1
            failed = failed or match == negated
        elif c == "?":
            if not failed:
                failed = s[0] == "/"
                s = s[1:]
            chunk = chunk[1:]
        else:
            if c == "\\":
                chunk = chunk[1:]
                if chunk == "":
                    raise BadPattern()
            if not failed:
                failed = chunk[0] != s[0]
                s = s[1:]
            chunk = chunk[1:]
    if failed:
        return "", False
    return s, True


def match(pattern: str, name: str) -> bool:
    """filepath.Match on Linux; raises BadPattern for the malformed patterns Go rejects."""
    while pattern:
        star, chunk, pattern = _scan_chunk(pattern)
        if star and chunk == "":
            return "/" not in name
        try:
            t, ok = _match_chunk(chunk, name)
            err: BadPattern | None = None
        except BadPattern as bad:
            t, ok, err = "", False, bad
        if ok and (t == "" or pattern):
            name = t
            continue
        if err is not None:
            raise err
        if star:
            matched = False
            i = 0
            while i < len(name) and name[i] != "/":
                t, ok = _match_chunk(chunk, name[i + 1 :])
                if ok:
                    if pattern == "" and t:
                        i += 1
                        continue
                    name = t
                    matched = True
                    break
                i += 1
            if matched:
                continue
        return False
    return name == ""


# Python's str.strip also removes \x1c-\x1f, which Go's unicode.IsSpace does not count as space.
_GO_SPACE = "\t\n\v\f\r \x85\xa0\u1680" + "".join(map(chr, range(0x2000, 0x200B))) + "\u2028\u2029\u202f\u205f\u3000"


def trim_space(s: str) -> str:
    """strings.TrimSpace."""
    return s.strip(_GO_SPACE)
