"""Every alert's text and fix, in French and English: the one place they are written.

Gallery staff read the alerts, so each kind says what went wrong and what to do in both
languages (French first, as the report's labels: the commons is francophone first).
`ops/alerts.py` raises an alert by its kind and the values its placeholders name:

    render("stuck", device="door", minutes=10)
    -> {"fr": ("« door » est enfoncé depuis 10 min", "Libérez le bouton « door » …"),
        "en": ("door held down for 10 min", "free the door button …")}

Numbers are written as each language writes them (`0,1 min`, `0.1 min`); a value given
as a (French, English) pair is said in each language; any other value (a device id, an
error message from a library) is the same in both.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

LANGS = ("fr", "en")

#: (French, English)
Pair = tuple[str, str]


@dataclass(frozen=True)
class AlertText:
    text: Pair
    fix: Pair
    severity: str = "warning"


OFFLINE_FIX: Pair = (
    "Vérifiez son alimentation et son câble (ou le réseau de son boîtier) ; "
    "`museokit service status` sur ce boîtier",
    "check its power and cable (or its node's network); `museokit service status` on that node")

#: Alert kind -> its text, its fix and its severity. The placeholders each kind fills are
#: named in its templates; `tests/test_alerts.py` renders every kind in both languages.
ALERTS: dict[str, AlertText] = {
    "silence": AlertText(
        ("« {device} » n'a rien signalé depuis {hours} h d'ouverture",
         "{device} silent for {hours} h during opening hours"),
        ("Passez devant « {device} » ou appuyez dessus : si rien n'apparaît sur le tableau "
         "de bord, vérifiez son câblage et que rien ne l'obstrue",
         "walk past or press {device}: if nothing shows on the dashboard, check its wiring "
         "and that nothing blocks it")),
    "stuck": AlertText(
        ("« {device} » est enfoncé depuis {minutes} min",
         "{device} held down for {minutes} min"),
        ("Libérez le bouton « {device} » (coincé ou scotché ?), ou vérifiez son câblage",
         "free the {device} button (jammed or taped down?), or check its wiring")),
    "offline": AlertText(
        ("L'appareil « {device} » est hors ligne depuis {minutes} min{reason}",
         "{kind} {device} offline for {minutes} min{reason}"),
        OFFLINE_FIX, "critical"),
    "offline_unseen": AlertText(
        ("L'appareil « {device} » est hors ligne depuis {minutes} min (jamais vu depuis le "
         "démarrage)",
         "{kind} {device} offline for {minutes} min (not seen since the start)"),
        OFFLINE_FIX, "critical"),
    "media": AlertText(
        ("« {device} » n'a pas pu lire le média : {error}",
         "{device} could not play: {error}"),
        ("Lancez `museokit check` sur l'installation ; le fichier est-il sur le disque de "
         "l'appareil « {device} », et lisible ?",
         "`museokit check` the installation; is the file on the {device} device's disk and "
         "readable?")),
    "handler_errors": AlertText(
        ("{errors} de programme en {window} s (dernière : {handler} : {error})",
         "{errors} within {window} s (last: {handler}: {error})"),
        ("Lisez `museokit service logs` : le programme en erreur y est nommé",
         "read `museokit service logs`; the failing handler is named there"),
        "critical"),
    "disk": AlertText(
        ("Disque plein à {percent} % (reste {free_gb} Go)",
         "disk {percent} % full ({free_gb} GB free)"),
        ("Téléchargez puis supprimez les anciens journaux depuis le tableau de bord, ou "
         "utilisez une carte SD plus grande",
         "download and delete old logs from the dashboard, or use a larger SD card"),
        "critical"),
    "clock": AlertText(
        ("L'horloge n'est pas synchronisée : les horaires d'ouverture et les journaux peuvent "
         "être décalés",
         "the clock is not synced: opening hours and logs may be off"),
        ("Connectez le Pi à un réseau avec NTP, puis lancez `sudo timedatectl set-ntp true`",
         "connect the Pi to a network with NTP, then `sudo timedatectl set-ntp true`")),
}

#: The words around an alert in a webhook post or an e-mail.
WORDS: dict[str, Pair] = {
    "fix": ("Solution : {fix}", "Fix: {fix}"),
    "resolved": ("résolu", "resolved"),
    "over": ("{id} : l'alerte est terminée.", "{id} is over."),
}


def count_of(n: int, french: str, english: str) -> Pair:
    """`n` things, said in each language: French is plural from 2 (« 1 erreur », « 0 erreur »),
    English for every number but 1."""
    return f"{n} {french}{'s' if n >= 2 else ''}", f"{n} {english}{'' if n == 1 else 's'}"


def say(value: Any, lang: str) -> str:
    """One placeholder's value in `lang`."""
    if isinstance(value, tuple):
        return str(value[LANGS.index(lang)])
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float):
        number = f"{value:g}"
        return number.replace(".", ",") if lang == "fr" else number
    return str(value)


def fill(template: Pair, lang: str, /, **values: Any) -> str:
    """A (French, English) template in `lang`, its placeholders filled."""
    return template[LANGS.index(lang)].format(**{k: say(v, lang) for k, v in values.items()})


def render(kind: str, /, **values: Any) -> dict[str, Pair]:
    """Language -> (text, fix) of an alert of this kind. KeyError for a placeholder
    the kind names but `values` lacks."""
    entry = ALERTS[kind]
    return {lang: (fill(entry.text, lang, **values), fill(entry.fix, lang, **values))
            for lang in LANGS}
