"""`museokit check` on generated installation files: never a traceback, always exit 1 with
`file:line: key: message — fix` on the right line.

Two generators: whole documents of random structure (deep nesting, huge arrays, Unicode
keys and ids, every TOML type), and the six examples with one value replaced by a value of
another type, where the error must name the line of that key.
"""

from __future__ import annotations

import io
import math
import re
import shutil
import tomllib
from contextlib import redirect_stderr, redirect_stdout
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from museokit.cli import main
from museokit.core.tomlmap import key_lines

EXAMPLES = Path(__file__).resolve().parent.parent / "installations"
#: `file:line: key: message`, or `file: message` for a problem with the whole file.
ISSUE = re.compile(r"^(?P<file>[^:]+\.(?:toml|py))(?::(?P<line>\d+))?: (?P<rest>.+)$")
SUMMARY = re.compile(r"^\d+ problems? found; nothing was started\.$")
#: Words that say what to change; every refusal carries one (in its message or its hint).
FIX_WORDS = re.compile(r"\b(add|write|use|expected|give|pick|remove|declare|name|move|check|"
                       r"rename|drop|make|replace|known|did you mean|one of|set|put|fill|split|save|quote)"
                       # or a hint that lists what may be written instead: `— devices: a, b`
                       r"|— [\w ]+: ", re.IGNORECASE)
#: Keys whose value may be of any type (a rule's `value`, free `[options]`, labels of
#: free text...): a replaced value there need not be refused.
FREE_KEYS = {"value", "options", "description", "label", "name"}

FUZZ = settings(max_examples=60, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


def run_check(path: Path) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(["check", str(path)])
    return code, out.getvalue(), err.getvalue()


def assert_refused_well(code: int, out: str, err: str) -> list[tuple[int | None, str]]:
    """Exit 1, no traceback, every line `file:line: ...` with a fix; returns (line, text)."""
    assert "Traceback" not in out + err
    assert code == 1, out + err
    lines = [line for line in err.splitlines() if line]
    assert lines and SUMMARY.match(lines[-1]), err
    found = []
    for line in lines[:-1]:
        assert len(line) < 2000, line[:200]
        m = ISSUE.match(line)
        assert m, f"not `file:line: message`: {line!r}"
        assert FIX_WORDS.search(m["rest"]), f"says nothing to change: {line!r}"
        found.append((int(m["line"]) if m["line"] else None, m["rest"]))
    return found


# -- a tiny TOML writer (for generated documents) ---------------------------------------------
def _key(k: str) -> str:
    return k if re.fullmatch(r"[A-Za-z0-9_-]+", k) else _str(k)


def _str(s: str) -> str:
    out = ['"']
    for ch in s:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ord(ch) < 0x20 or ch == "\x7f":
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return "".join(out) + '"'


def _value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    if isinstance(v, str):
        return _str(v)
    if isinstance(v, datetime | date | time):
        return v.isoformat()
    if isinstance(v, list):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{_key(k)} = {_value(x)}" for k, x in v.items()) + "}"
    raise TypeError(v)


def dump(doc: dict[str, Any]) -> str:
    """Scalars first, then [tables] and [[arrays of tables]] (one level of headers)."""
    head, tail = [], []
    for k, v in doc.items():
        if isinstance(v, dict) and v and all(not isinstance(x, dict) for x in v.values()):
            tail.append(f"[{_key(k)}]")
            tail += [f"{_key(a)} = {_value(b)}" for a, b in v.items()]
        elif isinstance(v, list) and v and all(isinstance(x, dict) for x in v):
            for table in v:
                tail.append(f"[[{_key(k)}]]")
                tail += [f"{_key(a)} = {_value(b)}" for a, b in table.items()]
        else:
            head.append(f"{_key(k)} = {_value(v)}")
    return "\n".join(head + tail) + "\n"


keys = st.one_of(st.sampled_from(["installation", "devices", "states", "rules", "options",
                                  "nodes", "broker", "schedule", "serial", "id", "kind", "pin",
                                  "name", "when", "do", "node", "board", "backend", "url"]),
                 st.text(min_size=1, max_size=12))
scalars = st.one_of(st.booleans(), st.integers(), st.floats(), st.text(max_size=30),
                    st.dates(), st.times(), st.datetimes())
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=5), st.dictionaries(keys, inner, max_size=5)), max_leaves=30)
device_tables = st.dictionaries(
    st.sampled_from(["id", "kind", "pin", "board", "backend", "node", "label", "pwm",
                     "brightness", "hold_time", "count", "bounce_time"]), values, max_size=6)
documents = st.dictionaries(keys, st.one_of(values, st.lists(device_tables, min_size=1,
                                                             max_size=4)), max_size=6)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return tmp_path


@FUZZ
@given(doc=documents)
def test_random_documents_never_crash(folder: Path, doc: dict[str, Any]) -> None:
    """A random document either passes (it happens to be an installation) or is refused
    with one well-formed line per problem; it never shows a traceback."""
    text = dump(doc)
    tomllib.loads(text)  # the writer writes valid TOML
    (folder / "installation.toml").write_text(text, encoding="utf-8")
    code, out, err = run_check(folder)
    if code != 0:
        assert_refused_well(code, out, err)
    else:
        assert "OK" in out and "Traceback" not in err


@FUZZ
@given(data=st.binary(max_size=400))
def test_binary_files_refused_with_one_line(folder: Path, data: bytes) -> None:
    (folder / "installation.toml").write_bytes(data)
    code, out, err = run_check(folder)
    assert_refused_well(code, out, err)


@pytest.mark.parametrize("text", ["", "\n\n# only a comment\n", "[installation]\nname = 'x'\n",
                                  "[installation]\n[[states]]\nname = 'a'\n"])
def test_empty_or_no_device_installation_refused(folder: Path, text: str) -> None:
    (folder / "installation.toml").write_text(text)
    code, out, err = run_check(folder)
    found = assert_refused_well(code, out, err)
    assert any("no devices" in rest for _, rest in found), err


@pytest.mark.parametrize("depth", [50, 400, 5000])
def test_deep_nesting_is_one_line(folder: Path, depth: int) -> None:
    (folder / "installation.toml").write_text(
        "[installation]\nname = 'deep'\n[[devices]]\nid = 'door'\nkind = 'button'\n"
        f"pin = {'[' * depth}1{']' * depth}\n")
    code, out, err = run_check(folder)
    found = assert_refused_well(code, out, err)
    assert found[0][0] in (6, None) or found[0][0] == 6, err


def test_huge_array_is_bounded(folder: Path) -> None:
    (folder / "installation.toml").write_text(
        "[installation]\nname = 'big'\n[[devices]]\nid = 'door'\nkind = 'button'\n"
        f"pin = [{', '.join(['17'] * 100_000)}]\n")
    code, out, err = run_check(folder)
    found = assert_refused_well(code, out, err)
    assert found[0][0] == 6


@pytest.mark.parametrize("dev_id", ["porte_d_entrée", "ドア", "door\u200b", "🚪", "Door", "1door"])
def test_unicode_ids_refused_on_the_id_line(folder: Path, dev_id: str) -> None:
    (folder / "installation.toml").write_text(
        f"[installation]\nname = 'u'\n\n[[devices]]\nkind = 'button'\nid = {_str(dev_id)}\npin = 17\n")
    code, out, err = run_check(folder)
    found = assert_refused_well(code, out, err)
    assert found[0][0] == 6, err


def test_integer_id_points_at_the_id_line(folder: Path) -> None:
    (folder / "installation.toml").write_text(
        "[installation]\nname = 'x'\n\n[[devices]]\nkind = 'button'\nid = 3\npin = 17\n")
    code, out, err = run_check(folder)
    found = assert_refused_well(code, out, err)
    assert found[0][0] == 6 and "devices[0].id" in found[0][1], err


# -- the examples, one value replaced ---------------------------------------------------------
def _leaves(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _leaves(v, (*path, k))]
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        return [p for i, v in enumerate(value) for p in _leaves(v, (*path, i))]
    return [path]


def _kind(v: Any) -> str:
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int | float):
        return "number"
    return type(v).__name__


EXAMPLE_FILES = sorted(EXAMPLES.glob("*/installation.toml"))
SIMPLE_VALUES = st.one_of(st.booleans(), st.integers(-10**6, 10**6), st.floats(),
                          st.text(max_size=20), st.lists(st.integers(0, 255), max_size=4),
                          st.dictionaries(st.sampled_from(["a", "b"]), st.integers(), max_size=2),
                          st.dates())


@pytest.mark.parametrize("example", EXAMPLE_FILES, ids=lambda p: p.parent.name)
@FUZZ
@given(data=st.data())
def test_wrong_type_at_any_key_is_refused_on_its_line(tmp_path_factory: pytest.TempPathFactory,
                                                      example: Path, data: st.DataObject) -> None:
    folder = tmp_path_factory.mktemp("ex") / example.parent.name
    shutil.copytree(example.parent, folder)
    text = example.read_text(encoding="utf-8")
    doc = tomllib.loads(text)
    lines = key_lines(text)
    paths = [p for p in _leaves(doc) if p in lines and not set(map(str, p)) & FREE_KEYS]
    path = data.draw(st.sampled_from(paths), label="key")
    old = _getpath(doc, path)
    new = data.draw(SIMPLE_VALUES.filter(lambda v: _kind(v) != _kind(old)), label="value")
    line_no = lines[path]
    src = text.splitlines()
    key_text, _, _ = src[line_no - 1].partition("=")
    if "{" in key_text or src[line_no - 1].rstrip().endswith("["):
        return  # inline tables and multi-line arrays: not replaced line by line here
    src[line_no - 1] = f"{key_text.rstrip()} = {_value(new)}"
    (folder / "installation.toml").write_text("\n".join(src) + "\n", encoding="utf-8")
    code, out, err = run_check(folder)
    found = assert_refused_well(code, out, err)
    assert line_no in [n for n, _ in found], f"{path} on line {line_no} → {new!r}:\n{err}"


def _getpath(doc: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        doc = doc[part]
    return doc


# -- specific mutations ------------------------------------------------------------------------
SERIAL = ("[installation]\nname = 's'\n[serial]\nboards = {plinth = \"3FA29C01\"}\n\n"
          "[[devices]]\nid = \"door\"\nkind = \"button\"\nbackend = \"serial\"\nboard = \"plinth\"\n"
          "pin = {pin}\n")


@pytest.mark.parametrize(("pin", "words"), [('"D99"', "does not exist"), ('"A9"', "does not exist"),
                                            ('"D0"', "USB serial link"), ("1", "USB serial link"),
                                            ('"X3"', "not a board pin")])
def test_serial_pins_that_cannot_work_refused(folder: Path, pin: str, words: str) -> None:
    (folder / "installation.toml").write_text(SERIAL.replace("{pin}", pin))
    code, out, err = run_check(folder)
    found = assert_refused_well(code, out, err)
    assert found[0][0] == 11 and words in found[0][1], err


@pytest.mark.parametrize("pin", ['"D2"', "13", '"A5"', '"A7"', '"D39"', '"A35"'])
def test_serial_pins_of_some_board_pass(folder: Path, pin: str) -> None:
    (folder / "installation.toml").write_text(SERIAL.replace("{pin}", pin))
    code, _out, err = run_check(folder)
    assert code == 0, err


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "1e999"])
def test_non_finite_option_refused(folder: Path, value: str) -> None:
    (folder / "installation.toml").write_text(
        "[installation]\nname = 'x'\n[[devices]]\nid = 'door'\nkind = 'button'\npin = 17\n"
        f"hold_time = {value}\n")
    code, out, err = run_check(folder)
    found = assert_refused_well(code, out, err)
    assert found[0][0] == 7, err
