"""The catalog: a static site opened in real headless chromium, its index.json, `museokit bricks`."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

from museokit.bricks.catalog import CatalogError, build_site
from museokit.bricks.fork import fork
from tests.bricks_kit import examples_copy, git
from tests.browser import local_links, needs_chromium, page
from tests.conftest import REPO

#: These tests run `museokit` (and git, pip, build) in child processes.
pytestmark = pytest.mark.subprocess

MUSEOKIT = str(Path(sys.executable).with_name("museokit"))
LIBRARY = REPO / "toolkit" / "bricks" / "library"


def museokit(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([MUSEOKIT, *map(str, args)], capture_output=True, text=True, timeout=300,
                          stdin=subprocess.DEVNULL, cwd=REPO)


#: The catalog built below: every example, the shipped behaviour bricks, and one fork.
ALL = len([*(REPO / "installations").glob("*/brick.toml"), *LIBRARY.glob("*/brick.toml")]) + 1


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("catalog")
    examples = examples_copy(root)
    fork(str(examples / "hello-button"), root / "forks" / "hello-lantern", "Team L")
    done = museokit("catalog", "build", examples, LIBRARY, root / "forks", "--out", root / "site",
                    "--run-scenarios")
    assert done.returncode == 0, done.stderr
    assert f"{ALL} bricks" in done.stdout
    return root / "site"


def test_index_json_describes_every_brick(site: Path) -> None:
    index = json.loads((site / "index.json").read_text(encoding="utf-8"))
    bricks = {b["name"]: b for b in index["bricks"]}
    assert len(bricks) == ALL and index["format"] == 1
    hello = bricks["hello-button"]
    assert hello["scenarios"] == {"count": 4, "status": "passing"}
    assert hello["license"] == "MIT" and hello["content_licenses"] == ["CC0-1.0"]
    assert hello["total_cost"] == 73.3 and hello["image"].startswith("img/")
    assert hello["forks"] == ["hello-lantern"]
    assert bricks["hello-lantern"]["forked_from"][0]["name"] == "hello-button"
    assert bricks["object-plinth"]["uses"] == [{"brick": "attract-loop", "version": ">=1,<2",
                                                "page": "bricks/attract-loop-1.0.0.html"}]
    assert all(b["scenarios"]["status"] == "passing"
               for b in bricks.values() if b["kind"] == "installation")


@needs_chromium
def test_the_page_in_chromium_search_links_and_a_screenshot(site: Path, tmp_path: Path) -> None:
    errors: list[str] = []
    with page(errors) as tab:
        tab.goto((site / "index.html").as_uri())
        cards = tab.locator("article.card")
        assert cards.count() == ALL
        assert tab.locator("article.card:visible").count() == ALL
        tab.fill("#search", "uno")
        visible = tab.locator("article.card:visible h2 a").all_inner_texts()
        assert "object-plinth" in visible and "hello-button" not in visible and 0 < len(visible) < ALL
        assert "match" in tab.inner_text("#count")
        tab.fill("#search", "CC0-1.0 projector")
        assert sorted(tab.locator("article.card:visible h2 a").all_inner_texts()) == [
            "cabinet-of-curiosities", "tag-table", "talking-portrait"]
        tab.fill("#search", "no such thing at all")
        assert tab.locator("article.card:visible").count() == 0
        tab.fill("#search", "")
        assert tab.locator("article.card:visible").count() == ALL
        shot = tmp_path / "catalog.png"
        tab.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 10_000
        assert all(tab.eval_on_selector_all("img", "els => els.map(i => i.naturalWidth > 0)"))
        pages = [(site / "index.html").as_uri()]
        checked = set()
        while pages:
            url = pages.pop()
            if url in checked:
                continue
            checked.add(url)
            tab.goto(url)
            for link in local_links(tab):
                target = Path(unquote(urlparse(link).path))
                assert target.exists(), f"{url} links to {link}, which is missing"
                if target.suffix == ".html":
                    pages.append(target.as_uri())
        assert len(checked) == ALL + 1  # the index and one page per brick
        tab.goto((site / "bricks" / "hello-lantern-0.1.0.html").as_uri())
        assert "forked from hello-button 1.0.0" in tab.inner_text(".lineage")
    assert errors == []


def test_two_bricks_with_one_name_and_version_are_refused_naming_both(tmp_path: Path) -> None:
    shutil.copytree(REPO / "installations" / "hello-button", tmp_path / "a" / "hello-button")
    shutil.copytree(REPO / "installations" / "hello-button", tmp_path / "b" / "hello-button")
    out = tmp_path / "site"
    done = museokit("catalog", "build", tmp_path / "a", tmp_path / "b", "--out", out)
    assert done.returncode == 1 and len(done.stderr.splitlines()) == 1
    assert (f"two bricks are hello-button 1.0.0: {tmp_path / 'a' / 'hello-button'} and "
            f"{tmp_path / 'b' / 'hello-button'}") in done.stderr
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["a", "b"]


def test_a_folder_that_is_not_a_catalog_is_not_overwritten(tmp_path: Path) -> None:
    out = tmp_path / "docs"
    out.mkdir()
    (out / "notes.md").write_text("mine", encoding="utf-8")
    with pytest.raises(CatalogError, match="is not a catalog"):
        build_site([LIBRARY], out)
    assert [p.name for p in out.iterdir()] == ["notes.md"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["docs"]  # no staging folder left


def test_a_broken_brick_is_refused_in_one_line(tmp_path: Path) -> None:
    shutil.copytree(LIBRARY / "attract_loop", tmp_path / "x")
    toml = tmp_path / "x" / "brick.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace('"1.0.0"', '"1.0"'), encoding="utf-8")
    done = museokit("catalog", "build", tmp_path / "x", "--out", tmp_path / "site")
    assert done.returncode == 1 and len(done.stderr.splitlines()) == 1
    assert "brick.version: '1.0' is not a semantic version" in done.stderr


def test_bricks_lists_installed_and_catalogued(site: Path) -> None:
    done = museokit("bricks")
    assert done.returncode == 0
    names = [line.split()[0] for line in done.stdout.splitlines()]
    assert {"attract-loop", "distance-fade"} <= set(names)
    done = museokit("bricks", "projector", "--index", site / "index.json")
    assert [line.split()[0] for line in done.stdout.splitlines()] == [
        "cabinet-of-curiosities", "talking-portrait"]
    assert all(f"[catalog {site / 'index.json'}]" in line for line in done.stdout.splitlines())


def test_bricks_reads_an_index_over_http(site: Path) -> None:
    import http.server
    import threading
    from functools import partial

    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/index.json"
        done = museokit("bricks", "uno", "--index", url)
        assert done.returncode == 0 and "object-plinth" in done.stdout
    finally:
        server.shutdown()
        server.server_close()


def test_a_bad_index_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "index.json").write_text('{"nope": 1}', encoding="utf-8")
    for source in (tmp_path / "index.json", tmp_path / "missing.json"):
        done = museokit("bricks", "--index", source)
        assert done.returncode == 1 and len(done.stderr.splitlines()) == 1
        assert str(source) in done.stderr and "Traceback" not in done.stderr


def test_a_brick_without_photos_gets_a_simulator_screenshot(tmp_path: Path) -> None:
    pytest.importorskip("pygame")
    folder = tmp_path / "bricks" / "hello-button"
    shutil.copytree(REPO / "installations" / "hello-button", folder)
    (folder / "screenshot.png").unlink()
    toml = folder / "brick.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace('photos = ["screenshot.png"]\n', ""),
                    encoding="utf-8")
    site = build_site([tmp_path / "bricks"], tmp_path / "site")
    [entry] = json.loads(site.index.read_text(encoding="utf-8"))["bricks"]
    image = site.out / entry["image"]
    assert entry["image"] == "img/hello-button-1.0.0.png" and image.read_bytes()[:4] == b"\x89PNG"
    assert image.stat().st_size > 10_000 and site.notes == []


def test_a_shared_git_repository_of_bricks(tmp_path: Path) -> None:
    """The museums' shared repository: its catalog's fork commands fetch each brick from it."""
    repo = tmp_path / "shared"
    shutil.copytree(LIBRARY / "attract_loop", repo / "bricks" / "attract-loop",
                    ignore=shutil.ignore_patterns("__init__.py", "__pycache__"))
    shutil.copytree(REPO / "installations" / "hello-button", repo / "bricks" / "hello-button")
    git("init", "-q", "-b", "main", cwd=repo)
    git("add", ".", cwd=repo)
    git("commit", "-q", "-m", "two bricks", cwd=repo)
    site = build_site([repo / "bricks"], tmp_path / "site", screenshots=False, git=f"file://{repo}")
    index = json.loads(site.index.read_text(encoding="utf-8"))
    forks = {b["name"]: b["fork"] for b in index["bricks"]}
    assert forks["hello-button"] == (f"museokit new my-hello-button --from git+file://{repo}"
                                     "#subdirectory=bricks/hello-button")
    command = forks["attract-loop"].split()
    done = subprocess.run([MUSEOKIT, *command[1:]], capture_output=True, text=True, timeout=120,
                          cwd=tmp_path, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "my-attract-loop" / "behaviour.py").is_file()
    done = museokit("new", tmp_path / "x", "--from", f"git+file://{repo}#subdirectory=bricks/none")
    assert done.returncode == 1 and "has no brick in bricks/none/" in done.stderr
    done = museokit("new", tmp_path / "x", "--from", f"git+file://{repo}#subdirectory=../etc")
    assert done.returncode == 1 and "a folder inside the repository" in done.stderr
    assert not (tmp_path / "x").exists()
