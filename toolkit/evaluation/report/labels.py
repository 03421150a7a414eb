"""The report's words in French and English (the commons is francophone first)."""

from __future__ import annotations

LANGS = ("fr", "en")
WEEKDAYS = {"fr": ("lun", "mar", "mer", "jeu", "ven", "sam", "dim"),
            "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")}

_WORDS: dict[str, tuple[str, str]] = {
    # key: (fr, en)
    "title": ("Évaluation", "Evaluation"),
    "thousands": ("\u202f", ","),
    "decimal": (",", "."),
    "period": ("Période", "Period"),
    "compare": ("Comparaison", "Comparison"),
    "made_by": ("Rapport produit par museokit {version} à partir du journal des interactions {log}.",
                "Report made by museokit {version} from the interaction log {log}."),
    "summary": ("Synthèse", "Summary"),
    "events": ("Événements enregistrés", "Events logged"),
    "visits": ("Passages détectés", "Visits detected"),
    "passers_by": ("Passants (vus par un capteur de présence)", "Passers-by (seen by a presence sensor)"),
    "stopped": ("Passants qui se sont arrêtés", "Passers-by who stopped"),
    "sessions": ("Sessions (arrêts)", "Sessions (stops)"),
    "attraction_power": ("Pouvoir d'attraction", "Attraction power"),
    "holding_median": ("Temps d'arrêt médian", "Median holding time"),
    "holding_mean": ("Temps d'arrêt moyen", "Mean holding time"),
    "open_hours": ("Heures d'ouverture", "Opening hours"),
    "sessions_per_open_hour": ("Sessions par heure d'ouverture", "Sessions per opening hour"),
    "handler_errors": ("Erreurs de programme", "Handler errors"),
    "sessions_by_day": ("Sessions par jour", "Sessions per day"),
    "sessions_by_hour": ("Sessions par heure de la journée", "Sessions per hour of the day"),
    "heatmap": ("Sessions par jour de la semaine et heure", "Sessions by weekday and hour"),
    "holding_distribution": ("Répartition des temps d'arrêt", "Holding time distribution"),
    "holding_power": ("Pouvoir de rétention par média", "Holding power per media file"),
    "completion": ("Taux de complétion par contenu", "Completion rate per content"),
    "interactions": ("Interactions par appareil", "Interactions per device"),
    "uptime": ("Disponibilité par nœud", "Uptime per node"),
    "device_offline": ("Appareils hors ligne", "Devices offline"),
    "silent": ("Capteurs devenus muets", "Sensors that fell silent"),
    "errors_table": ("Erreurs de programme", "Handler errors"),
    "no_data": ("Aucune donnée pour cette période.", "No data for this period."),
    "none": ("aucun", "none"),
    "day": ("jour", "day"),
    "hour": ("heure", "hour"),
    "seconds": ("secondes", "seconds"),
    "count": ("nombre", "count"),
    "share": ("part", "share"),
    "device": ("appareil", "device"),
    "node": ("nœud", "node"),
    "content": ("contenu", "content"),
    "plays": ("lectures", "plays"),
    "completed": ("complètes", "complete"),
    "interrupted": ("interrompues", "interrupted"),
    "length": ("durée", "length"),
    "up": ("en marche", "up"),
    "from": ("du", "from"),
    "to": ("au", "to"),
    "last_event": ("dernier événement", "last event"),
    "never": ("jamais", "never"),
    "reason": ("raison", "reason"),
    "handler": ("gestionnaire", "handler"),
    "serrell_average": ("moyenne (Serrell) 32 %", "average (Serrell) 32%"),
    "serrell_exceptional": ("exceptionnel (Serrell) > 60 %", "exceptional (Serrell) > 60%"),
    "serrell_holding": ("exceptionnel (Serrell) > 0,70", "exceptional (Serrell) > 0.70"),
    "median": ("médiane", "median"),
    "definitions": ("Définitions", "Definitions"),
    "def_text": (
        "Un passage est une suite d'événements de visiteurs sans pause de plus de {gap:g} s. "
        "Un passant est un passage vu par un capteur de présence ; il s'arrête si le passage "
        "dure au moins {stop:g} s ou comporte une interaction. Pouvoir d'attraction : passants "
        "arrêtés ÷ passants. Pouvoir de rétention : temps regardé ÷ durée du média.",
        "A visit is a run of visitor events with no pause longer than {gap:g} s. A passer-by "
        "is a visit a presence sensor saw; it stopped if the visit lasted at least {stop:g} s "
        "or had an interaction. Attraction power: passers-by who stopped ÷ passers-by. "
        "Holding power: time watched ÷ media length."),
    "privacy": ("Les caméras n'enregistrent que des zones et des comptes, jamais d'images.",
                "Cameras log zones and counts only, never pictures."),
}


def words(lang: str) -> dict[str, str]:
    i = LANGS.index(lang)
    return {key: pair[i] for key, pair in _WORDS.items()}
