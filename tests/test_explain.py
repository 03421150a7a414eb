"""The device reference (issue 12, item 4): docs/devices.md and `museokit explain`.

Both are written from the kinds' own declarations; these tests keep the file in step
with the code and the declarations honest (the signals a kind says it needs are the
ones it opens, every example is a valid installation file).
"""

from __future__ import annotations

import tomllib

import pytest

from museokit import reference
from museokit.core import plugins
from museokit.core.config import load_installation
from museokit.sim.harness import Harness
from tests.conftest import REPO, write_installation
from tests.test_cli import museokit

DOCS = REPO / "docs" / "devices.md"
KINDS = sorted(tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["entry-points"]
               ["museokit.devices"])


def test_docs_devices_md_is_up_to_date():
    assert DOCS.read_text(encoding="utf-8") == reference.document(), (
        f"docs/devices.md is stale: regenerate it with `{reference.REGENERATE}`")


def test_every_registered_kind_has_its_section():
    text = DOCS.read_text(encoding="utf-8")
    assert list(reference.kinds("museokit")) == KINDS
    for kind in KINDS:
        assert f"\n## {kind}\n" in text


@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_declares_what_the_reference_needs(kind):
    cls = plugins.load(plugins.DEVICES, kind)
    assert cls.summary
    assert all(opt.help for opt in cls.options.values())
    assert all(method.__doc__ for method in cls.commands.values()), "a command without a docstring"
    if cls.pins:
        assert cls.signals, "a kind with pins says which backend signals it needs"
    else:
        assert cls.wiring, "a kind without pins says how it is connected"
    section = reference.explain(kind)
    for backend in ("gpio", "serial", "sim", "mqtt") if cls.pins else ("sim",):
        assert f"- **{backend}**: " in section


@pytest.mark.parametrize("kind", KINDS)
def test_each_example_is_a_valid_installation(tmp_path, kind):
    cls = plugins.load(plugins.DEVICES, kind)
    text = reference.example(cls, kind)
    assert f"```toml\n{text}```" in reference.explain(kind)
    inst = load_installation(write_installation(tmp_path / kind, text))
    assert [d.kind for d in inst.devices] == [kind]


PINNED = [k for k in KINDS if plugins.load(plugins.DEVICES, k).pins]


@pytest.mark.parametrize("kind", PINNED)
def test_declared_signals_are_the_ones_the_device_opens(tmp_path, kind):
    """Opened on the sim backend (which has every signal): what each channel asked for."""
    cls = plugins.load(plugins.DEVICES, kind)
    opened: set[str] = set()
    for variant in ({}, {"pwm": True}, {"pwm": False}):
        opts = {k: v for k, v in variant.items() if k in cls.options}
        pins = "\n".join(f"{key} = {pin}" for key, pin in zip(cls.pins, (17, 27, 22), strict=False))
        extra = "\n".join(f"{k} = {str(v).lower()}" for k, v in opts.items())
        inst = load_installation(write_installation(
            tmp_path / f"{kind}-{len(opened)}-{len(opts)}-{id(variant)}",
            f'[[devices]]\nid = "it"\nkind = "{kind}"\nbackend = "sim"\n{pins}\n{extra}\n'))
        h = Harness(inst)
        try:
            backend = h.runtime.backends["sim"]
            if "it" in backend.inputs:
                opened.add(backend.inputs["it"].signal)
            opened |= {ch.signal for ch in backend.all_outputs.get("it", [])}
        finally:
            h.close()
    assert opened == set(cls.signals)


# -- the command ---------------------------------------------------------------------------

@pytest.mark.subprocess
def test_explain_prints_the_same_section_as_the_docs():
    result = museokit("explain", "button")
    assert result.returncode == 0, result.stderr
    assert result.stdout == reference.explain("button")
    assert result.stdout in DOCS.read_text(encoding="utf-8")
    assert "| `debounce` | `0.05` | a number from 0 to 2 |" in result.stdout
    assert "`pressed`, `released`, `held`, `long_press`, `clicked`" in result.stdout


@pytest.mark.subprocess
def test_explain_an_unknown_kind_suggests_the_nearest_in_one_line():
    result = museokit("explain", "buton")
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == "museokit explain: no device kind 'buton' — did you mean 'button'?\n"


@pytest.mark.subprocess
def test_explain_a_kind_nothing_is_close_to_lists_the_kinds():
    result = museokit("explain", "zzz")
    assert result.returncode == 1
    assert result.stderr.startswith("museokit explain: no device kind 'zzz' — kinds: analog, button")
    assert len(result.stderr.splitlines()) == 1


@pytest.mark.subprocess
def test_explain_without_a_kind_lists_them_and_all_prints_every_one():
    listing = museokit("explain")
    assert listing.returncode == 0
    assert [line.split()[0] for line in listing.stdout.splitlines()[:-1]] == KINDS
    everything = museokit("explain", "--all")
    assert everything.returncode == 0
    assert everything.stdout == reference.document(dist=None)
    both = museokit("explain", "led", "--all")
    assert both.returncode == 2 and "not both" in both.stderr


def test_the_module_writes_the_file(tmp_path):
    out = tmp_path / "devices.md"
    assert reference.main([str(out)]) == 0
    assert out.read_text(encoding="utf-8") == DOCS.read_text(encoding="utf-8")
