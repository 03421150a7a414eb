"""brick.toml: every bad case gets one line naming the file, line, key and fix; the examples pass."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from museokit.bricks import manifest, spdx, tomlwrite
from museokit.bricks.uses import check_uses
from tests.conftest import REPO

MUSEOKIT = str(Path(sys.executable).with_name("museokit"))
# Every example, so that a new one cannot ship without its manifest.
EXAMPLES = sorted(p.parent for p in (REPO / "installations").glob("*/installation.toml"))

GOOD = """\
[brick]
name = "my-brick"
kind = "behaviour"
version = "1.2.3"
summary = "A test brick."
license = "MIT"
museokit = ">=0.1,<1"
platforms = ["pi4", "sim"]

[[authors]]
name = "Ada"

[options]
idle = 30
"""


def brick(folder: Path, text: str = GOOD, behaviour: str = "") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "brick.toml").write_text(text, encoding="utf-8")
    (folder / "behaviour.py").write_text(behaviour, encoding="utf-8")
    return folder


def problem(tmp_path: Path, text: str) -> manifest.ConfigIssue:
    """The one issue of a manifest that must be refused."""
    with pytest.raises(manifest.ManifestError) as info:
        manifest.load(brick(tmp_path / "b", text))
    [issue] = info.value.issues
    return issue


def line_of(text: str, fragment: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if fragment in line)


def test_a_good_manifest_loads(tmp_path: Path) -> None:
    m = manifest.load(brick(tmp_path / "b"))
    assert (m.name, m.kind, m.version, m.license) == ("my-brick", "behaviour", "1.2.3", "MIT")
    assert m.options == {"idle": 30}
    assert m.authors[0].name == "Ada"


def test_misspelled_key_is_named_with_its_line_and_a_suggestion(tmp_path: Path) -> None:
    text = GOOD.replace('summary = "A test brick."', 'sumary = "A test brick."\nsummary = "x"')
    issue = problem(tmp_path, text)
    assert issue.line == line_of(text, "sumary")
    assert issue.path == "brick.sumary"
    assert "unknown key 'sumary'" in issue.message and "did you mean 'summary'?" in issue.hint
    assert str(issue).startswith(f"{tmp_path / 'b' / 'brick.toml'}:{issue.line}: brick.sumary:")


@pytest.mark.parametrize("bad", ["1.0", "v1.0.0", "1.0.0.0", "01.2.3"])
def test_bad_semver(tmp_path: Path, bad: str) -> None:
    text = GOOD.replace('"1.2.3"', f'"{bad}"')
    issue = problem(tmp_path, text)
    assert (issue.path, issue.line) == ("brick.version", line_of(text, "version ="))
    assert "not a semantic version" in issue.message and "MAJOR.MINOR.PATCH" in issue.hint


def test_bad_range(tmp_path: Path) -> None:
    text = GOOD.replace('">=0.1,<1"', '">>0.1"')
    issue = problem(tmp_path, text)
    assert (issue.path, issue.line) == ("brick.museokit", line_of(text, "museokit ="))
    assert "not a version range" in issue.message and ">=1,<2" in issue.hint


def test_incompatible_museokit_range(tmp_path: Path) -> None:
    text = GOOD.replace('">=0.1,<1"', '">=2,<3"')
    issue = problem(tmp_path, text)
    assert issue.path == "brick.museokit"
    assert "needs museokit >=2,<3" in issue.message and "this is museokit 0.1.0" in issue.message
    assert "install a museokit in that range" in issue.hint


@pytest.mark.parametrize(("bad", "hint"), [("MTI", "did you mean 'MIT'?"),
                                           ("mit", "write 'MIT'"),
                                           ("Apache-2", "did you mean 'Apache-2.0'?")])
def test_unknown_spdx_id(tmp_path: Path, bad: str, hint: str) -> None:
    text = GOOD.replace('license = "MIT"', f'license = "{bad}"')
    issue = problem(tmp_path, text)
    assert (issue.path, issue.line) == ("brick.license", line_of(text, "license ="))
    assert hint in issue.hint


def test_spdx_expressions() -> None:
    assert spdx.problem("MIT OR Apache-2.0") is None
    assert spdx.problem("(CC-BY-4.0 AND OFL-1.1)") is None
    assert spdx.problem("GPL-2.0-or-later WITH Classpath-exception-2.0") is None
    assert spdx.problem("LicenseRef-museum-rights") is None
    assert spdx.problem("MIT OR Foo-1.0") is not None


def test_media_file_without_content_licence(tmp_path: Path) -> None:
    folder = brick(tmp_path / "b")
    (folder / "media").mkdir()
    (folder / "media" / "owl.jpg").write_bytes(b"\xff\xd8")
    with pytest.raises(manifest.ManifestError) as info:
        manifest.load(folder)
    [issue] = info.value.issues
    assert "media file media/owl.jpg has no content licence" in issue.message
    assert "[[content]]" in issue.hint and "media/owl.jpg" in issue.hint
    text = GOOD + '\n[[content]]\nfiles = ["media/**"]\nlicense = "CC-BY-4.0"\ncredit = "Owl: A. Person"\n'
    (folder / "brick.toml").write_text(text, encoding="utf-8")
    m = manifest.load(folder)
    assert m.content_license("media/owl.jpg") is not None


def test_content_licence_is_checked_too(tmp_path: Path) -> None:
    text = GOOD + '\n[[content]]\nfiles = ["*.png"]\nlicense = "CC-BY-5.0"\ncredit = "x"\n'
    issue = problem(tmp_path, text)
    assert (issue.path, issue.line) == ("content[0].license", line_of(text, "CC-BY-5.0"))
    assert "unknown SPDX licence id 'CC-BY-5.0'" in issue.message


def test_a_part_names_a_device_of_the_installation(tmp_path: Path) -> None:
    folder = tmp_path / "piece"
    shutil.copytree(REPO / "installations" / "hello-button", folder)
    toml = folder / "brick.toml"
    text = toml.read_text(encoding="utf-8").replace('device = "lamp"', 'device = "lmap"')
    toml.write_text(text, encoding="utf-8")
    with pytest.raises(manifest.ManifestError) as info:
        manifest.load(folder)
    [issue] = info.value.issues
    assert (issue.path, issue.line) == ("parts[3].device", line_of(text, '"lmap"'))
    assert issue.message == "no device 'lmap' in installation.toml"
    assert issue.hint == "did you mean 'lamp'?"


@pytest.mark.parametrize(("line", "path", "message"), [
    ('homepage = "javascript:alert(1)"', "brick.homepage", "is not a web address"),
    ('photos = ["../../etc/passwd"]', "brick.photos", "points outside the brick"),
    ('photos = ["missing.jpg"]', "brick.photos", "photo missing.jpg not found"),
])
def test_addresses_and_photos_stay_honest(tmp_path: Path, line: str, path: str, message: str) -> None:
    text = GOOD.replace('platforms = ["pi4", "sim"]', f'platforms = ["pi4", "sim"]\n{line}')
    issue = problem(tmp_path, text)
    assert (issue.path, issue.line) == (path, line_of(text, line)) and message in issue.message


def test_glob_matching() -> None:
    assert manifest.glob_match("media/**", "media/a/b.png")
    assert manifest.glob_match("*.png", "a.png") and not manifest.glob_match("*.png", "m/a.png")
    assert manifest.glob_match("**/*.png", "m/a.png") and manifest.glob_match("**/*.png", "a.png")


def test_not_toml_names_the_line(tmp_path: Path) -> None:
    text = GOOD.replace('summary = "A test brick."', 'summary = "A test brick.')
    issue = problem(tmp_path, text)
    assert issue.line == line_of(text, "summary =") and "not valid TOML" in issue.message


def test_every_problem_at_once(tmp_path: Path) -> None:
    text = GOOD.replace('"1.2.3"', '"1"').replace('"MIT"', '"MTI"').replace('"sim"', '"simm"')
    with pytest.raises(manifest.ManifestError) as info:
        manifest.load(brick(tmp_path / "b", text))
    assert [i.path for i in info.value.issues] == ["brick.version", "brick.license", "brick.platforms"]


def test_dependency_cycle(tmp_path: Path) -> None:
    a = GOOD.replace("my-brick", "brick-a") + '\n[[uses]]\nbrick = "brick-b"\npath = "../b"\n'
    b = GOOD.replace("my-brick", "brick-b") + '\n[[uses]]\nbrick = "brick-a"\npath = "../a"\n'
    brick(tmp_path / "a", a)
    brick(tmp_path / "b", b)
    m = manifest.load(tmp_path / "a")
    [issue] = check_uses(m.file, m.uses, m.name)
    assert "dependency cycle: brick-a → brick-b → brick-a" in issue.message
    assert issue.line == line_of(a, 'brick = "brick-b"') and issue.path == "uses[0].brick"


@pytest.mark.subprocess
def test_check_command_refuses_a_bad_manifest_with_one_line_per_problem(tmp_path: Path) -> None:
    folder = brick(tmp_path / "b", GOOD.replace('"1.2.3"', '"1.2"'))
    done = subprocess.run([MUSEOKIT, "check", str(folder)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        f"{folder / 'brick.toml'}:4: brick.version: '1.2' is not a semantic version — write "
        'MAJOR.MINOR.PATCH, like "1.0.0"', "1 problem found; nothing was started."]
    assert "Traceback" not in done.stderr


@pytest.mark.subprocess
def test_check_command_accepts_a_behaviour_brick(tmp_path: Path) -> None:
    folder = brick(tmp_path / "b")
    done = subprocess.run([MUSEOKIT, "check", str(folder)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "OK — brick my-brick 1.2.3 (behaviour, MIT)" in done.stdout


@pytest.mark.parametrize("folder", EXAMPLES, ids=lambda p: p.name)
def test_every_example_has_an_honest_manifest(folder: Path) -> None:
    m = manifest.load(folder)
    assert m.name == folder.name and m.kind == "installation" and m.license == "MIT"
    assert m.authors and m.parts and all(p.cost is not None for p in m.parts)
    assert m.photos and not m.uncovered_media()
    assert set(m.platforms) >= {"sim"}


def test_toml_writer_round_trips() -> None:
    import tomllib

    data = {"brick": {"name": "x", "keywords": ["a", "b"], "n": 1.5, "ok": True,
                      "text": 'quote " and é\n'},
            "uses": [{"brick": "y", "options": {"inputs": ["door.*"], "idle": 3}}]}
    assert tomllib.loads(tomlwrite.dumps(data)) == data


def test_content_hash_ignores_caches_and_sees_changes(tmp_path: Path) -> None:
    folder = brick(tmp_path / "b")
    first = manifest.content_hash(folder)
    (folder / "__pycache__").mkdir()
    (folder / "__pycache__" / "x.pyc").write_bytes(b"junk")
    assert manifest.content_hash(folder) == first
    (folder / "behaviour.py").write_text("# changed\n", encoding="utf-8")
    assert manifest.content_hash(folder) != first
    copy = tmp_path / "copy"
    shutil.copytree(folder, copy)
    assert manifest.content_hash(copy) == manifest.content_hash(folder)
