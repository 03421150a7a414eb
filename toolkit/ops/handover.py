"""`museokit handover PATH`: a one-page card for the gallery, in HTML (and PDF).

What the staff keep beside the exhibit: what is wired where, how to restart it, the
dashboard's address as a QR code, what the blink codes mean, and who built it. French
and English. The QR code is drawn by segno (SVG, inline): the card works offline.
The PDF is the same page printed by headless Chromium, when it is installed.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
from html import escape
from pathlib import Path

from museokit.core.config import Installation
from museokit.ops.maintenance import BLINK_CODES
from museokit.ops.service import unit_name

CSS = """
body { font: 11pt/1.35 sans-serif; margin: 1.2cm; color: #111; }
h1 { font-size: 18pt; margin: 0 0 .2em; } h2 { font-size: 12pt; margin: .8em 0 .3em; }
table { border-collapse: collapse; width: 100%; font-size: 10pt; }
td, th { border-bottom: 1px solid #bbb; padding: 2px 4px; text-align: left; }
.qr { float: right; text-align: center; font-size: 9pt; margin-left: 1em; }
.en { color: #555; font-style: italic; }
@page { size: A4; margin: 0; }
"""


def dashboard_url(inst: Installation, given: str | None = None) -> str | None:
    """The address staff type (or scan): given, else this box's name on the LAN."""
    if given:
        return given
    d = inst.staff.dashboard
    if not d.enabled:
        return None
    scheme = "https" if d.tls_cert else "http"
    host = "127.0.0.1" if d.bind == "127.0.0.1" else f"{socket.gethostname()}.local"
    return f"{scheme}://{host}:{d.port}"


def card_html(inst: Installation, *, url: str | None = None, by: str = "") -> str:
    e = escape
    link = dashboard_url(inst, url)
    qr = ""
    if link:
        import segno

        svg = segno.make(link, error="m").svg_inline(scale=4)
        qr = (f'<div class="qr">{svg}<br>{e(link)}<br>Tableau de bord '
              '<span class="en">/ dashboard</span></div>')
    rows = "".join(
        f"<tr><td><b>{e(d.id)}</b></td><td>{e(d.kind)}</td><td>{e(inst.node_of(d))}</td>"
        f"<td>{e(', '.join(f'{k} {v}' for k, v in d.pins.items()) or '—')}</td>"
        f"<td>{e(d.label)}</td></tr>" for d in inst.devices)
    codes = "".join(f"<li><b>{e(what)}</b> ({e(name)})</li>" for name, (what, _) in
                    BLINK_CODES.items())
    maint = inst.staff.maintenance
    gesture = ""
    if maint is not None:
        ways = []
        if maint.buttons:
            ways.append(f"tenir {' + '.join(maint.buttons)} {maint.hold:g} s "
                        f"<span class='en'>(hold {' + '.join(maint.buttons)} {maint.hold:g} s)</span>")
        if maint.tag:
            ways.append("présenter le badge admin <span class='en'>(show the admin tag)</span>")
        gesture = ("<h2>Mode maintenance <span class='en'>/ maintenance mode</span></h2><p>"
                   + " ou ".join(ways) + f"; sortie par le même geste ou après {maint.timeout:g} s "
                   "<span class='en'>(leave the same way or after the timeout)</span></p>")
    unit = unit_name(inst)
    author = e(by or inst.name)
    return f"""<!doctype html><html lang="fr"><head><meta charset="utf-8">
<title>{e(inst.name)} — fiche de passation</title><style>{CSS}</style></head><body>
{qr}<h1>{e(inst.name)}</h1>
<p>Site {e(inst.site)} · {len(inst.devices)} appareils <span class="en">devices</span> ·
réalisé par <span class="en">built by</span> <b>{author}</b></p>
<h2>Redémarrer <span class="en">/ how to restart</span></h2>
<ol><li>Tableau de bord → Technicien → « Redémarrer l'installation »
<span class="en">(dashboard → Technician → Restart)</span></li>
<li>Sinon, débrancher puis rebrancher l'alimentation du Pi ; l'installation repart seule
<span class="en">(otherwise unplug and replug the Pi: it starts by itself)</span></li>
<li>Technicien : <code>sudo systemctl restart {e(unit)}</code></li></ol>
<h2>Signaux lumineux <span class="en">/ blink codes</span></h2><ul>{codes}
<li><b>écran « hors service »</b> <span class="en">(out of order, set from the dashboard)</span>
</li></ul>{gesture}
<h2>Câblage <span class="en">/ wiring</span></h2>
<table><tr><th>id</th><th>type</th><th>boîtier <span class="en">node</span></th>
<th>broches <span class="en">pins</span></th><th></th></tr>{rows}</table>
</body></html>
"""


def write_card(inst: Installation, out: Path, *, url: str | None = None, by: str = "",
               pdf: bool = False) -> list[Path]:
    """Write the HTML card (and the PDF); returns what was written. Raises OSError/ValueError."""
    out.write_text(card_html(inst, url=url, by=by), encoding="utf-8")
    written = [out]
    if pdf:
        browser = shutil.which("chromium") or shutil.which("chromium-browser")
        if browser is None:
            raise ValueError("the PDF is printed by Chromium, which is not installed: "
                             "sudo apt install chromium (the HTML card is written)")
        target = out.with_suffix(".pdf")
        with tempfile.TemporaryDirectory() as profile:
            result = subprocess.run(
                [browser, "--headless", "--no-sandbox", "--disable-gpu",
                 f"--user-data-dir={profile}", "--no-pdf-header-footer",
                 f"--print-to-pdf={target}", out.resolve().as_uri()],
                capture_output=True, text=True, timeout=120, check=False)
        if result.returncode != 0 or not target.exists():
            raise ValueError(f"Chromium could not print the PDF: {result.stderr.strip()[-300:]}")
        written.append(target)
    return written
