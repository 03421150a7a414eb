"""Alerts on the dashboard, in the page's language: French for a French browser or `?lang=fr`,
English for `?lang=en`; English when an older node sent no French. Against the real server
(uvicorn on loopback) over HTTP, and in a real headless Chromium with a French locale."""

from __future__ import annotations

from typing import Any

from museokit.dashboard.pages import esc
from museokit.ops.alerts import Alert, dashboard_sink
from tests.dash_fixtures import Client, DashPiece
from tests.net_fixtures import wait_for

FR = {"Accept-Language": "fr-FR,fr;q=0.9,en;q=0.5"}
STUCK = Alert.of("stuck_door", "stuck", 1.0, device="door", minutes=10)


def page(client: Client, path: str = "/", headers: dict[str, str] | None = None) -> str:
    status, _, html = client.request("GET", path, headers=headers)
    assert status == 200, (path, status)
    return html


def test_alerts_follow_the_pages_language(piece: DashPiece) -> None:
    sink = dashboard_sink(piece.dash.handoff.put, "site", "main")   # as `museokit run` does
    sink("stuck_door", STUCK)
    french, english = piece.logged_in("viewer"), piece.logged_in("staff")
    assert STUCK.text_fr == "« door » est enfoncé depuis 10 min"
    wait_for(lambda: esc(STUCK.text_fr) in page(french, headers=FR), what="the French alert")
    html = page(french, headers=FR)                    # the browser's language: French
    assert '<html lang="fr">' in html
    assert esc(STUCK.fix_fr) in html and "Libérez le bouton « door »" in html
    assert esc(STUCK.text) not in html and esc(STUCK.fix) not in html
    assert esc(STUCK.text_fr) in page(french, "/fleet", FR)

    html = page(english, "/?lang=en", FR)              # the EN link wins over the browser
    assert esc(STUCK.text) in html and esc(STUCK.fix) in html
    assert esc(STUCK.text_fr) not in html and esc(STUCK.fix_fr) not in html
    assert esc(STUCK.text) in page(english, "/", FR)   # and is remembered (cookie)
    assert esc(STUCK.text) in page(english, "/fleet", FR)

    # a node from before alerts were bilingual: its English shows on the French page
    old = {"since": 2.0, "severity": "critical", "text": "disk 97 % full", "fix": "delete old logs"}
    piece.dash.handoff.put(("alert", "site", "old_node", "disk", old))
    wait_for(lambda: "disk 97 % full" in page(french, headers=FR), what="the older alert")
    assert "delete old logs" in page(french, headers=FR)

    sink("stuck_door", None)                           # cleared: gone in both languages
    wait_for(lambda: esc(STUCK.text_fr) not in page(french, headers=FR), what="the clearing")
    assert esc(STUCK.text) not in page(english)


def test_a_french_browser_sees_a_new_alert_in_french(piece: DashPiece, browser: Any) -> None:
    dash = piece.dash
    tab = browser.new_page(viewport={"width": 390, "height": 844}, locale="fr-FR")
    try:
        tab.goto(dash.url + "/login")
        tab.fill("input[name=user]", "viewer")
        tab.fill("input[name=password]", piece.passwords["viewer"])
        tab.click("form.login button")
        tab.wait_for_selector("#alerts")
        wait_for(lambda: dash.clients, what="the page's live updates (SSE)")
        assert "aucune" in tab.inner_text("#alerts")
        # raised while the page is open: it reloads by itself, in French
        dashboard_sink(dash.handoff.put, "site", "main")("stuck_door", STUCK)
        tab.wait_for_selector("#alerts li.alert")
        shown = tab.inner_text("#alerts li.alert")
        assert "« door » est enfoncé depuis 10 min" in shown
        assert "Libérez le bouton « door » (coincé ou scotché ?)" in shown
        assert "held down" not in shown
        tab.click("header nav a")                              # the EN link
        tab.wait_for_selector('html[lang="en"]')
        shown = tab.inner_text("#alerts li.alert")
        assert "door held down for 10 min" in shown and "enfoncé" not in shown
    finally:
        tab.close()
