"""The dashboard's pages as plain HTML: every name, note and message goes through `esc`.

French and English: staff read it. The language comes from `?lang=`, then a cookie,
then the browser's Accept-Language; alerts are shown in it too (their payload carries
both languages, docs/design.md).
"""

from __future__ import annotations

import time
from html import escape
from typing import Any

from museokit.dashboard.model import Model, NodeView, SiteView

STRINGS: dict[str, dict[str, str]] = {
    "en": {
        "title": "Dashboard", "login": "Log in", "user": "Account", "password": "Password",
        "logout": "Log out", "online": "working", "offline": "not working", "last_seen": "last seen",
        "never": "never", "test": "Test", "out_of_order": "Out of order",
        "back_in_order": "Back in order", "in_order": "In order", "errors": "Last errors",
        "none": "none", "alerts": "Alerts", "hours": "Opening hours", "open": "open",
        "closed": "closed", "next": "next change", "health": "Box", "uptime": "up",
        "disk": "disk", "temp": "temperature", "interactions": "Interactions today",
        "usual": "usual for this weekday", "history": "Connection history",
        "audit": "Audit log", "restart": "Restart the installation", "reboot": "Reboot the Pi",
        "shutdown": "Shut down the Pi", "download_log": "Download the interaction log",
        "download_audit": "Download the audit log",
        "download_report": "Download the report", "photo": "Send the photo", "note": "Note", "save": "Save",
        "on_floor": "on floor", "off_floor": "off floor", "working": "working",
        "not_working": "not working", "fleet": "All sites", "state": "state",
        "bad_login": "Wrong account or password.", "wait": "Too many tries: wait {s} s.",
        "maintenance": "Maintenance", "technician": "Technician", "nodes": "nodes",
        "no_log": "no interaction log yet", "sure": "Are you sure?", "overview": "Overview",
        "always": "always open", "unreachable": "site unreachable",
    },
    "fr": {
        "title": "Tableau de bord", "login": "Connexion", "user": "Compte",
        "password": "Mot de passe", "logout": "Déconnexion", "online": "fonctionne",
        "offline": "ne fonctionne pas", "last_seen": "vu", "never": "jamais", "test": "Tester",
        "out_of_order": "Hors service", "back_in_order": "Remettre en service",
        "in_order": "En service", "errors": "Dernières erreurs", "none": "aucune",
        "alerts": "Alertes", "hours": "Horaires", "open": "ouvert", "closed": "fermé",
        "next": "prochain changement", "health": "Boîtier", "uptime": "allumé depuis",
        "disk": "disque", "temp": "température", "interactions": "Interactions aujourd'hui",
        "usual": "habituel ce jour de la semaine", "history": "Historique des connexions",
        "audit": "Journal d'audit", "restart": "Redémarrer l'installation",
        "reboot": "Redémarrer le Pi", "shutdown": "Éteindre le Pi",
        "download_log": "Télécharger le journal des interactions",
        "download_audit": "Télécharger le journal d'audit",
        "download_report": "Télécharger le rapport", "photo": "Envoyer la photo", "note": "Note",
        "save": "Enregistrer", "on_floor": "en salle", "off_floor": "retiré",
        "working": "fonctionne", "not_working": "en panne", "fleet": "Tous les sites",
        "state": "état", "bad_login": "Compte ou mot de passe incorrect.",
        "wait": "Trop d'essais : attendez {s} s.", "maintenance": "Maintenance",
        "technician": "Technicien", "nodes": "boîtiers", "no_log": "pas encore de journal",
        "sure": "Êtes-vous sûr ?", "overview": "Vue d'ensemble",
        "always": "toujours ouvert", "unreachable": "site injoignable",
    },
}


def esc(value: Any) -> str:
    return escape(str(value), quote=True)


def when(ts: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(ts)) if ts else ""


def layout(t: dict[str, str], lang: str, title: str, body: str, *, user: str = "",
           role: str = "", csrf: str = "") -> str:
    who = ""
    if user:
        who = (f'<form method="post" action="/logout" class="who"><span>{esc(user)} ({esc(role)})'
               f'</span><input type="hidden" name="csrf" value="{esc(csrf)}">'
               f'<button>{esc(t["logout"])}</button></form>')
    other = "fr" if lang == "en" else "en"
    return (f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<title>{esc(title)} — museokit</title><link rel="stylesheet" href="/static/app.css">'
            f'</head><body data-csrf="{esc(csrf)}" data-sure="{esc(t["sure"])}"'
            f' data-online="{esc(t["online"])}" data-offline="{esc(t["offline"])}">'
            f'<header><a href="/" class="brand">museokit</a> <h1>{esc(title)}</h1>'
            f'<nav><a href="?lang={other}">{other.upper()}</a></nav>{who}</header>'
            f'<main>{body}</main><div id="toast" role="status"></div>'
            '<script src="/static/app.js"></script></body></html>')


def login_page(t: dict[str, str], lang: str, pre_csrf: str, message: str = "") -> str:
    msg = f'<p class="bad" role="alert">{esc(message)}</p>' if message else ""
    body = (f'<form method="post" action="/login" class="card login">{msg}'
            f'<input type="hidden" name="csrf" value="{esc(pre_csrf)}">'
            f'<label>{esc(t["user"])}<input name="user" autocomplete="username" required></label>'
            f'<label>{esc(t["password"])}<input name="password" type="password" '
            f'autocomplete="current-password" required></label>'
            f'<button>{esc(t["login"])}</button></form>')
    return layout(t, lang, t["login"], body)


def _action(name: str, label: str, csrf: str, fields: dict[str, str] | None = None,
            cls: str = "", confirm: bool = False) -> str:
    hidden = "".join(f'<input type="hidden" name="{esc(k)}" value="{esc(v)}">'
                     for k, v in (fields or {}).items())
    c = ' data-confirm="1"' if confirm else ""
    return (f'<form method="post" action="/action/{esc(name)}" class="act {esc(cls)}"{c}>'
            f'<input type="hidden" name="csrf" value="{esc(csrf)}">{hidden}'
            f'<button>{esc(label)}</button></form>')


def device_row(t: dict[str, str], site: str, node: NodeView, dev_id: str, can_test: bool,
               csrf: str, note: dict[str, Any] | None, media: list[str], reachable: bool,
               photo: bool = False) -> str:
    d = node.devices[dev_id]
    online = d.online and node.online and reachable
    label = str(d.state.get("label", ""))
    test = ""
    if can_test and d.role == "output":
        extra = ""
        if d.kind in ("sound", "screen") and media:
            options = "".join(f'<option>{esc(m)}</option>' for m in media)
            extra = f'<select name="media" form="t-{esc(dev_id)}">{options}</select>'
        test = (f'<form method="post" action="/action/test" class="act" id="t-{esc(dev_id)}">'
                f'<input type="hidden" name="csrf" value="{esc(csrf)}">'
                f'<input type="hidden" name="device" value="{esc(dev_id)}">{extra}'
                f'<button>{esc(t["test"])}</button></form>')
    note_html = ""
    if note:
        floor = t["on_floor"] if note.get("on_floor", True) else t["off_floor"]
        work = t["working"] if note.get("working", True) else t["not_working"]
        note_html = (f'<p class="note">{esc(floor)} · {esc(work)}'
                     f'{" — " + esc(note["text"]) if note.get("text") else ""}</p>')
    if photo:
        note_html += f'<img class="photo" src="/photo/{esc(dev_id)}" alt="{esc(dev_id)}">'
    return (f'<li class="dev {"up" if online else "down"}" data-dev="{esc(site)}/{esc(node.id)}/'
            f'{esc(dev_id)}"><span class="name">{esc(dev_id)}</span> '
            f'<span class="kind">{esc(d.kind)}</span> '
            f'<span class="status">{esc(t["online"] if online else t["offline"])}</span> '
            f'<span class="label">{esc(label)}</span> '
            f'<span class="seen" data-ts="{d.last_seen or 0}">{esc(when(d.last_seen))}</span>'
            f'{test}{note_html}</li>')


def health_line(t: dict[str, str], node: NodeView) -> str:
    h = node.health
    parts = []
    if h.get("uptime") is not None:
        parts.append(f'{t["uptime"]} {int(h["uptime"]) // 3600} h {int(h["uptime"]) % 3600 // 60} min')
    if h.get("disk_percent") is not None:
        parts.append(f'{t["disk"]} {h["disk_percent"]} %')
    if h.get("temperature") is not None:
        parts.append(f'{t["temp"]} {h["temperature"]} °C')
    return f'<p class="health">{esc(" · ".join(parts))}</p>' if parts else ""


def node_card(t: dict[str, str], site: SiteView, node: NodeView, can_test: bool, csrf: str,
              notes: dict[str, Any], media: list[str], photos: set[str]) -> str:
    rows = "".join(device_row(t, site.id, node, dev_id, can_test, csrf, notes.get(dev_id), media,
                              site.reachable, dev_id in photos) for dev_id in sorted(node.devices))
    up = node.online and site.reachable
    return (f'<section class="card node {"up" if up else "down"}" '
            f'data-node="{esc(site.id)}/{esc(node.id)}"><h2>{esc(node.id)} '
            f'<span class="status">{esc(t["online"] if up else t["offline"])}</span></h2>'
            f'{health_line(t, node)}<ul>{rows}</ul></section>')


def said(alert: dict[str, Any], key: str, lang: str) -> str:
    """An alert's `text` or `fix` in `lang` (`text_fr`, …); English (`text`) for English, or
    when the payload has no such key (a node from before alerts were bilingual)."""
    return str(alert.get(f"{key}_{lang}") or alert.get(key, ""))


def alerts_card(t: dict[str, str], lang: str, sites: list[SiteView]) -> str:
    items = "".join(f'<li class="alert {esc(a.get("severity", "warning"))}"><b>{esc(s.id)}/'
                    f'{esc(key)}</b> {esc(said(a, "text", lang))}<br>'
                    f'<i>{esc(said(a, "fix", lang))}</i></li>'
                    for s in sites for key, a in sorted(s.alerts.items()) if isinstance(a, dict))
    return (f'<section class="card" id="alerts"><h2>{esc(t["alerts"])}</h2>'
            f'<ul>{items or "<li>" + esc(t["none"]) + "</li>"}</ul></section>')


def overview(t: dict[str, str], lang: str, model: Model, *, name: str, user: str, role: str,
             csrf: str, can_test: bool, can_staff: bool, notes: dict[str, Any],
             media: list[str], hours: str, interactions: str, downloads: bool,
             photos: set[str]) -> str:
    mode = model.mode
    banner = ""
    if mode.get("out_of_order"):
        banner = f'<p class="banner" id="mode">{esc(t["out_of_order"])}</p>'
    elif mode.get("maintenance"):
        banner = f'<p class="banner" id="mode">{esc(t["maintenance"])}</p>'
    else:
        banner = '<p class="banner hidden" id="mode"></p>'
    staff = ""
    if can_staff:
        ooo = mode.get("out_of_order")
        staff = ('<section class="card"><h2>' + esc(t["in_order"] if not ooo else t["out_of_order"])
                 + "</h2>" + _action("out-of-order", t["back_in_order"] if ooo else t["out_of_order"],
                                     csrf, {"on": "0" if ooo else "1"}, "ooo") + "</section>")
    tech = ""
    if can_test:
        buttons = "".join(_action(a, t[a], csrf, cls="danger", confirm=True)
                          for a in ("restart", "reboot", "shutdown"))
        links = (f'<a href="/download/interactions.csv">{esc(t["download_log"])}</a> '
                 f'<a href="/download/report.html">{esc(t["download_report"])}</a> '
                 if downloads else "")
        links += (f'<a href="/download/audit.csv">{esc(t["download_audit"])}</a> '
                  f'<a href="/audit">{esc(t["audit"])}</a>')
        tech = (f'<section class="card"><h2>{esc(t["technician"])}</h2>{buttons}'
                f'<p>{links}</p></section>')
    nodes = "".join(node_card(t, s, n, can_test, csrf, notes, media, photos)
                    for s in model.sites.values() for n in s.nodes.values())
    errors = "".join(f'<li>{esc(when(ts))} {esc(where)}: {esc(text)}</li>'
                     for ts, where, text in reversed(model.errors))
    info = (f'<section class="card"><h2>{esc(t["hours"])}</h2><p>{esc(hours or t["always"])}</p>'
            f'<h2>{esc(t["interactions"])}</h2><p id="interactions">{esc(interactions)}</p>'
            f'<p><a href="/history">{esc(t["history"])}</a></p></section>')
    notes_form = ""
    if can_staff:
        ids = sorted({d for s in model.sites.values() for n in s.nodes.values() for d in n.devices})
        opts = "".join(f"<option>{esc(i)}</option>" for i in ids)
        notes_form = (f'<section class="card"><h2>{esc(t["note"])}</h2>'
                      f'<form method="post" action="/action/note" class="act note-form">'
                      f'<input type="hidden" name="csrf" value="{esc(csrf)}">'
                      f'<select name="device">{opts}</select>'
                      f'<label><input type="checkbox" name="working" value="1" checked>'
                      f'{esc(t["working"])}</label><label><input type="checkbox" name="on_floor" '
                      f'value="1" checked>{esc(t["on_floor"])}</label>'
                      f'<textarea name="text" maxlength="500"></textarea>'
                      f'<button>{esc(t["save"])}</button></form>'
                      f'<form method="post" action="/action/photo" enctype="multipart/form-data" '
                      f'class="note-form"><input type="hidden" name="csrf" value="{esc(csrf)}">'
                      f'<select name="device">{opts}</select><input type="file" name="photo" '
                      f'accept="image/jpeg,image/png" capture="environment">'
                      f'<button>{esc(t["photo"])}</button></form></section>')
    body = (f'{banner}{alerts_card(t, lang, list(model.sites.values()))}{nodes}{info}'
            f'<section class="card"><h2>{esc(t["errors"])}</h2><ul id="errors">'
            f'{errors or "<li>" + esc(t["none"]) + "</li>"}</ul></section>{staff}{notes_form}{tech}')
    return layout(t, lang, name, body, user=user, role=role, csrf=csrf)


def history(t: dict[str, str], lang: str, model: Model, *, user: str, role: str, csrf: str) -> str:
    rows = []
    for s in model.sites.values():
        for n in s.nodes.values():
            for ts, dev, what in reversed(n.history):
                who = f"{s.id}/{n.id}" + (f"/{dev}" if dev else "")
                up = what in ("online", "reachable")
                rows.append((ts, f'<li class="{"up" if up else "down"}">'
                             f'{esc(when(ts))} <b>{esc(who)}</b> '
                             f'{esc(t["online"] if up else t["offline"])}</li>'))
    rows.sort(key=lambda r: -r[0])
    body = f'<section class="card"><ul>{"".join(r for _, r in rows) or esc(t["none"])}</ul></section>'
    return layout(t, lang, t["history"], body, user=user, role=role, csrf=csrf)


def audit_page(t: dict[str, str], lang: str, rows: list[tuple[Any, ...]], *, user: str,
               role: str, csrf: str) -> str:
    items = "".join(f'<tr><td>{esc(when(ts))}</td><td>{esc(u)}</td><td>{esc(r)}</td><td>{esc(c)}</td>'
                    f'<td>{esc(a)}</td><td>{esc(d)}</td><td>{"✓" if ok else "✗"}</td></tr>'
                    for ts, u, r, c, a, d, ok in rows)
    body = f'<section class="card"><table>{items}</table></section>'
    return layout(t, lang, t["audit"], body, user=user, role=role, csrf=csrf)


def fleet(t: dict[str, str], lang: str, model: Model, *, user: str, role: str, csrf: str) -> str:
    cards = []
    for s in sorted(model.sites.values(), key=lambda s: s.id):
        up = sum(n.online and s.reachable for n in s.nodes.values())
        nodes = "".join(
            f'<li class="{"up" if n.online and s.reachable else "down"}" '
            f'data-node="{esc(s.id)}/{esc(n.id)}"><span class="name">{esc(n.id)}</span> '
            f'<span class="status">{esc(t["online"] if n.online and s.reachable else t["offline"])}'
            '</span> '
            f'<span class="kind">{len(n.devices)}</span></li>'
            for n in sorted(s.nodes.values(), key=lambda n: n.id))
        alerts = "".join(f'<li class="alert">{esc(k)}: {esc(said(a, "text", lang))}</li>'
                         for k, a in sorted(s.alerts.items()) if isinstance(a, dict))
        unreachable = "" if s.reachable else f' — {esc(t["unreachable"])}'
        cards.append(f'<section class="card site {"up" if up == len(s.nodes) else "down"}" '
                     f'data-site="{esc(s.id)}"><h2>{esc(s.id)} <small>{up}/{len(s.nodes)} '
                     f'{esc(t["nodes"])}{unreachable}</small></h2><ul>{nodes}</ul><ul>{alerts}</ul></section>')
    body = alerts_card(t, lang, list(model.sites.values())) + "".join(cards)
    return layout(t, lang, t["fleet"], body, user=user, role=role, csrf=csrf)
