"""`museokit doctor` runs on this machine and says which checks do not apply here."""

from __future__ import annotations

from pathlib import Path

import pytest

from museokit.ops import doctor
from museokit.ops.doctor import NOT_HERE, OK, PROBLEM, Finding
from tests.conftest import REPO
from tests.test_cli import museokit


@pytest.mark.subprocess
def test_doctor_runs_here_and_names_what_it_cannot_check():
    result = museokit("doctor", str(REPO / "installations/hello-button"))
    lines = result.stdout.splitlines()
    checks = [line.split()[1] for line in lines[:-1] if not line.startswith(" ")]
    assert checks == ["pin", "gpio", "audio", "display", "disk", "clock", "service"]
    summary = lines[-1]
    if not doctor.is_raspberry_pi():
        assert "not a Raspberry Pi" in result.stdout
        assert "not checked on this machine: pin factory" in summary
    assert result.returncode == (1 if "problem " in result.stdout else 0)


def test_each_problem_comes_with_its_fix():
    finding = Finding("disk", PROBLEM, "only 0.2 GiB free on /", "sudo journalctl --vacuum-size=200M")
    assert str(finding).splitlines() == ["problem  disk         only 0.2 GiB free on /",
                                         "      fix: sudo journalctl --vacuum-size=200M"]
    lines = doctor.report([finding, Finding("audio", NOT_HERE, "no sound card"),
                           Finding("clock", OK, "synchronised")])
    assert lines[-1] == "1 problem; not checked on this machine: audio"


def test_pi_detection_reads_the_device_tree_model(tmp_path):
    model = tmp_path / "model"
    model.write_text("Raspberry Pi 5 Model B Rev 1.0\0")
    assert doctor.is_raspberry_pi(model) == "Raspberry Pi 5 Model B Rev 1.0"
    model.write_text("Generic x86 board")
    assert doctor.is_raspberry_pi(model) is None
    assert doctor.is_raspberry_pi(tmp_path / "none") is None


def test_disk_check(tmp_path, monkeypatch):
    assert doctor.check_disk(tmp_path).status == OK
    monkeypatch.setattr(doctor, "MIN_FREE_BYTES", 1 << 60)  # more than any disk has
    finding = doctor.check_disk(Path(tmp_path))
    assert finding.status == PROBLEM and "journalctl --vacuum-size" in finding.fix
