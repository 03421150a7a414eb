"""`museokit handover PATH`: the card says what it must, its QR code scans to the dashboard
(read back by OpenCV from Chromium's rendering), and the PDF carries the same text."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from museokit.cli import main
from tests.conftest import write_installation
from tests.dash_fixtures import SHOTS

PIECE = """
[installation]
name = "Le <cabinet> d'Anna"
backend = "sim"

[dashboard]
enabled = true
bind = "lan"
port = 8443

[maintenance]
buttons = ["door", "bell"]
hold = 5

[[devices]]
id = "door"
kind = "button"
pin = 17
label = "porte <du> cabinet"

[[devices]]
id = "bell"
kind = "button"
pin = 27

[[devices]]
id = "lamp"
kind = "led"
pin = 18
"""


def test_the_card_scans_and_says_how_to_restart(tmp_path: Path, browser: Any, capsys: Any) -> None:
    import cv2

    folder = write_installation(tmp_path / "piece", PIECE)
    url = "http://cabinet.local:8443"
    assert main(["handover", str(folder), "--url", url, "--by", "Team <Hack> 2026"]) == 0
    card = folder / "handover.html"
    html = card.read_text()
    assert "Le &lt;cabinet&gt; d&#x27;Anna" in html and "Team &lt;Hack&gt; 2026" in html
    assert "porte &lt;du&gt; cabinet" in html and "<du>" not in html
    for needed in ("GPIO17", "sudo systemctl restart museokit-piece.service", "2 long blinks",
                   "tenir door + bell 5 s", "Redémarrer", url):
        assert needed in html, needed
    page = browser.new_page(viewport={"width": 794, "height": 1123})
    page.goto(card.as_uri())
    shot = tmp_path / "card.png"
    page.screenshot(path=str(shot), full_page=True)
    shutil.copy(shot, SHOTS / "handover-card.png")
    text, _, _ = cv2.QRCodeDetector().detectAndDecode(cv2.imread(str(shot)))
    assert text == url


@pytest.mark.skipif(not shutil.which("pdftotext") or not shutil.which("chromium"),
                    reason="needs chromium and poppler-utils")
@pytest.mark.chromium
def test_the_pdf_has_the_same_page(tmp_path: Path) -> None:
    folder = write_installation(tmp_path / "piece", PIECE)
    assert main(["handover", str(folder), "--pdf", "--out", str(tmp_path / "card.html")]) == 0
    text = subprocess.run(["pdftotext", str(tmp_path / "card.pdf"), "-"], capture_output=True,
                          text=True, check=True).stdout
    assert "Le <cabinet> d'Anna" in text and "blink codes" in text
    pages = subprocess.run(["pdfinfo", str(tmp_path / "card.pdf")], capture_output=True,
                           text=True, check=True).stdout
    assert re.search(r"^Pages:\s+1$", pages, re.MULTILINE), pages


def test_no_dashboard_no_qr_and_a_bad_folder_is_one_line(tmp_path: Path, capsys: Any) -> None:
    folder = write_installation(tmp_path / "plain", PIECE.replace("enabled = true",
                                                                  "enabled = false"))
    assert main(["handover", str(folder)]) == 0
    assert "<svg" not in (folder / "handover.html").read_text()
    assert main(["handover", str(tmp_path / "nowhere")]) == 1
    assert "nothing was started" in capsys.readouterr().err
