"""`museokit new PATH --from SOURCE`: folders, installed bricks, git, archives; refusals write nothing."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import tarfile
import tomllib
import zipfile
from pathlib import Path

import pytest

from museokit.bricks import manifest
from museokit.bricks.fork import ForkError, fork
from tests.bricks_kit import git
from tests.conftest import REPO

#: These tests run `museokit` (and git, pip, build) in child processes.
pytestmark = pytest.mark.subprocess

MUSEOKIT = str(Path(sys.executable).with_name("museokit"))
HELLO = REPO / "installations" / "hello-button"


def museokit(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([MUSEOKIT, *args], capture_output=True, text=True, timeout=300,
                          cwd=cwd or REPO, stdin=subprocess.DEVNULL)


def listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_fork_a_folder_records_lineage_keeps_credits_and_runs_scenarios(tmp_path: Path) -> None:
    target = tmp_path / "my-lamp"
    done = museokit("new", str(target), "--from", str(HELLO), "--author", "Grace")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "forked hello-button 1.0.0" in done.stdout
    assert "PASSED" in done.stdout and "4 passed, 0 failed" not in done.stderr
    m = manifest.load(target)
    assert (m.name, m.version) == ("my-lamp", "0.1.0")
    assert [a.name for a in m.authors] == ["Grace"]
    assert [(c.name, c.what) for c in m.credits] == [
        ("museokit contributors", "hello-button 1.0.0 (museokit examples, made for the museokit "
                                  "toolkit, tested in its simulator, 2026)")]
    assert set(m.made) == {"year"}  # where the original was made is in its credit
    [origin] = m.forked_from
    assert (origin.name, origin.version) == ("hello-button", "1.0.0")
    assert origin.hash == manifest.content_hash(HELLO)
    data = tomllib.loads((target / "installation.toml").read_text(encoding="utf-8"))
    assert data["installation"]["name"] == "my-lamp"
    assert "# GPIO17 (header pin 11)" in (target / "installation.toml").read_text(encoding="utf-8")


def test_a_fork_of_a_fork_keeps_the_chain(tmp_path: Path) -> None:
    first = fork(str(HELLO), tmp_path / "one", "A")
    second = fork(str(first.target), tmp_path / "two", "B")
    m = manifest.load(second.target)
    assert [(f.name, f.version) for f in m.forked_from] == [("one", "0.1.0"), ("hello-button", "1.0.0")]
    assert [c.name for c in m.credits] == ["museokit contributors", "A"]


def test_fork_an_installed_brick_by_name(tmp_path: Path) -> None:
    done = fork("attract-loop", tmp_path / "idle-glow", "C")
    m = manifest.load(done.target)
    assert (m.name, m.kind, m.forked_from[0].name) == ("idle-glow", "behaviour", "attract-loop")
    assert not (done.target / "__init__.py").exists()  # the package marker is not the brick's


def test_an_existing_target_is_refused_and_left_alone(tmp_path: Path) -> None:
    target = tmp_path / "mine"
    target.mkdir()
    (target / "notes.txt").write_text("keep me", encoding="utf-8")
    done = museokit("new", str(target), "--from", str(HELLO))
    assert done.returncode == 1
    assert done.stderr.strip() == (f"museokit: {target} already exists; nothing was changed — "
                                   "pick a new folder")
    assert listing(target) == ["notes.txt"]


def test_a_missing_source_is_one_line(tmp_path: Path) -> None:
    done = museokit("new", str(tmp_path / "x"), "--from", "no-such-brick")
    assert done.returncode == 1 and len(done.stderr.splitlines()) == 1
    assert "no brick 'no-such-brick'" in done.stderr and "museokit bricks" in done.stderr
    assert not (tmp_path / "x").exists()
    done = museokit("new", str(tmp_path / "x"), "--from", str(tmp_path / "nowhere" / "piece.d"))
    assert done.returncode == 1 and "not found" in done.stderr
    assert listing(tmp_path) == []


def test_fork_from_a_local_git_repository(tmp_path: Path) -> None:
    repo = tmp_path / "shared-bricks"
    shutil.copytree(HELLO, repo / "hello-button")
    git("init", "-q", "-b", "main", cwd=repo)
    git("add", ".", cwd=repo)
    git("commit", "-q", "-m", "a brick", cwd=repo)
    git("tag", "v1", cwd=repo)
    done = fork(f"git+file://{repo}@v1", tmp_path / "from-git", "D")
    m = manifest.load(done.target)
    assert m.forked_from[0].name == "hello-button"
    assert m.forked_from[0].hash == manifest.content_hash(HELLO)
    assert not (done.target / ".git").exists()


def test_an_unreachable_git_source_is_one_line(tmp_path: Path) -> None:
    done = museokit("new", str(tmp_path / "x"), "--from", f"git+file://{tmp_path}/missing-repo")
    assert done.returncode == 1 and len(done.stderr.splitlines()) == 1, done.stderr
    assert "cannot fetch" in done.stderr and "check the address" in done.stderr
    assert listing(tmp_path) == []


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
    return path


@pytest.mark.parametrize("evil", ["../evil.txt", "/tmp/evil.txt", "pkg/../../evil.txt"])
def test_zip_slip_is_refused_before_anything_is_written(tmp_path: Path, evil: str) -> None:
    good = (HELLO / "brick.toml").read_bytes()
    archive = _zip(tmp_path / "bad.whl", {"pkg/brick.toml": good, evil: b"pwned"})
    work = tmp_path / "work"
    work.mkdir()
    done = museokit("new", "x", "--from", str(archive), cwd=work)
    assert done.returncode == 1 and len(done.stderr.splitlines()) == 1
    assert "zip-slip" in done.stderr and repr(evil) in done.stderr
    assert listing(work) == []
    assert not (tmp_path / "evil.txt").exists() and not Path("/tmp/evil.txt").exists()


def test_tar_with_absolute_path_or_link_is_refused(tmp_path: Path) -> None:
    for name, kind in (("/etc/evil", tarfile.REGTYPE), ("pkg/link", tarfile.SYMTYPE)):
        archive = tmp_path / "bad.tar.gz"
        with tarfile.open(archive, "w:gz") as t:
            info = tarfile.TarInfo(name)
            info.type = kind
            info.linkname = "/etc/passwd" if kind == tarfile.SYMTYPE else ""
            t.addfile(info, io.BytesIO(b"") if kind == tarfile.REGTYPE else None)
        with pytest.raises(ForkError, match="refused, nothing was written"):
            fork(str(archive), tmp_path / "x")
        assert not (tmp_path / "x").exists()


def test_a_fork_whose_scenarios_fail_is_kept_and_the_failure_reported(tmp_path: Path) -> None:
    source = tmp_path / "broken"
    shutil.copytree(HELLO, source)
    (source / "scenarios" / "wrong.scenario").write_text(
        "at 0  expect states is engaged\n", encoding="utf-8")
    target = tmp_path / "fork"
    done = museokit("new", str(target), "--from", str(source))
    assert done.returncode == 1
    assert "wrong.scenario: FAILED" in done.stdout
    assert f"the fork is kept in {target}, but its scenarios fail" in done.stderr
    assert (target / "brick.toml").is_file() and manifest.load(target).name == "fork"


def test_forking_never_runs_the_source_code(tmp_path: Path) -> None:
    source = tmp_path / "trap"
    shutil.copytree(REPO / "toolkit" / "bricks" / "library" / "attract_loop", source)
    canary = tmp_path / "ran"
    (source / "behaviour.py").write_text(f"open({str(canary)!r}, 'w').close()\n", encoding="utf-8")
    (source / "__init__.py").write_text(f"open({str(canary)!r}, 'w').close()\n", encoding="utf-8")
    fork(str(source), tmp_path / "copy")
    assert not canary.exists()


def test_finding_an_installed_brick_imports_nothing(tmp_path: Path) -> None:
    """A brick whose package's __init__ would run code: listing and forking it run none."""
    site = tmp_path / "site"
    pkg = site / "trapped" / "brick"
    shutil.copytree(REPO / "toolkit" / "bricks" / "library" / "attract_loop", pkg,
                    ignore=shutil.ignore_patterns("__pycache__"))
    canary = tmp_path / "ran"
    (site / "trapped" / "__init__.py").write_text(f"open({str(canary)!r}, 'w').close()\n")
    info = site / "trapped-1.0.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: trapped\nVersion: 1.0.0\n")
    (info / "entry_points.txt").write_text("[museokit.bricks]\ntrapped = trapped.brick\n")
    env = {**os.environ, "PYTHONPATH": str(site)}
    for args in (["bricks", "trapped"], ["new", str(tmp_path / "copy"), "--from", "trapped"]):
        done = subprocess.run([MUSEOKIT, *args], capture_output=True, text=True, timeout=120, env=env)
        assert done.returncode == 0, done.stderr
    assert manifest.load(tmp_path / "copy").forked_from[0].name == "attract-loop"
    assert not canary.exists()
