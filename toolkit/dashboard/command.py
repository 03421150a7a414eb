"""`museokit dashboard ...` and what `museokit run` starts for the staff.

    museokit dashboard user add NAME [PATH] --role technician   # prints a generated password
    museokit dashboard user remove NAME [PATH]
    museokit dashboard cert PATH [--host NAME]     # self-signed TLS pair for [dashboard]
    museokit dashboard PATH [--broker URL]         # the dashboard alone, from a broker
    museokit dashboard --broker URL --state-dir D  # the fleet view of every bridged site
    museokit handover PATH [--pdf]                 # the one-page card for the gallery
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from museokit.core.config import Installation
    from museokit.core.runtime import Runtime

log = logging.getLogger("museokit.dashboard")
FLEET_DIR = "fleet"


def add_parser(sub: Any) -> None:
    p = sub.add_parser("dashboard", help="the staff dashboard: accounts, certificate, or serve "
                                         "it alone (the fleet view)",
                       description="user add NAME [PATH] --role ROLE | user remove NAME [PATH] | "
                                   "cert PATH | [PATH] --broker URL")
    p.add_argument("words", nargs="*", metavar="ARG",
                   help="`user add NAME`, `user remove NAME`, `cert PATH`, or PATH")
    p.add_argument("--role", default="viewer", help="viewer, staff or technician (user add)")
    p.add_argument("--broker", help="serve the dashboard from this broker's retained topics")
    p.add_argument("--state-dir", help="where accounts and the audit log live")
    p.add_argument("--bind", help="address to listen on (default 127.0.0.1; 'lan')")
    p.add_argument("--port", type=int, help="port (default 8080)")
    p.add_argument("--host", default="museokit.local", help="cert: the name in the certificate")
    p.set_defaults(func=cmd_dashboard)
    h = sub.add_parser("handover", help="a one-page card for the gallery (HTML, --pdf too)",
                       description="Wiring, how to restart, the dashboard's address as a QR "
                                   "code, blink codes, who built it.")
    h.add_argument("path", help="installation folder")
    h.add_argument("--out", type=Path, help="HTML file (default: handover.html in the folder)")
    h.add_argument("--url", help="the dashboard's address for the QR code "
                                 "(default: from [dashboard])")
    h.add_argument("--by", default="", help="who built it")
    h.add_argument("--pdf", action="store_true", help="also print it to PDF (Chromium)")
    h.set_defaults(func=cmd_handover)


def cmd_handover(args: argparse.Namespace) -> int:
    from museokit.cli_support import load_or_report
    from museokit.ops.handover import write_card

    inst = load_or_report(args.path)
    if inst is None:
        return 1
    out = args.out or inst.folder / "handover.html"
    try:
        written = write_card(inst, out, url=args.url, by=args.by, pdf=args.pdf)
    except (OSError, ValueError, subprocess.SubprocessError) as exc:
        return _fail(str(exc))
    print(f"wrote {' and '.join(str(p) for p in written)}: print it and leave it by the exhibit")
    return 0


def state_dir_for(inst: Installation | None, given: str | None, user_home: Path | None = None) -> Path:
    from museokit.net.settings import ENV_STATE

    if given:
        return Path(given)
    site, node = (inst.site, inst.node) if inst is not None else (FLEET_DIR, FLEET_DIR)
    explicit = os.environ.get(ENV_STATE)
    if explicit:
        return Path(explicit) / site / node
    if user_home is not None:
        return user_home / ".local" / "state" / "museokit" / site / node
    base = os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state"
    return Path(base) / "museokit" / site / node


def _fail(message: str) -> int:
    print(f"museokit: {message}", file=sys.stderr)
    return 1


def cmd_dashboard(args: argparse.Namespace) -> int:
    from museokit.cli_support import load_or_report

    words = list(args.words)
    if words[:1] == ["user"]:
        if len(words) not in (3, 4) or words[1] not in ("add", "remove"):
            return _fail("write `museokit dashboard user add NAME [PATH] --role ROLE` or "
                         "`museokit dashboard user remove NAME [PATH]`")
        inst = load_or_report(words[3]) if len(words) == 4 else None
        if len(words) == 4 and inst is None:
            return 1
        return _user(words[1], words[2], args.role, state_dir_for(inst, args.state_dir))
    if words[:1] == ["cert"]:
        if len(words) != 2:
            return _fail("write `museokit dashboard cert PATH` (the installation folder)")
        return make_cert(Path(words[1]), args.host)
    if len(words) > 1:
        return _fail(f"unexpected {' '.join(words[1:])!r}; see `museokit dashboard --help`")
    inst = load_or_report(words[0]) if words else None
    if words and inst is None:
        return 1
    return serve_alone(inst, args)


def _user(action: str, name: str, role: str, state_dir: Path) -> int:
    from museokit.dashboard.auth import ACCOUNTS_FILE, AccountError, Accounts

    accounts = Accounts(state_dir / ACCOUNTS_FILE)
    try:
        if action == "remove":
            if not accounts.remove(name):
                return _fail(f"no account {name!r} in {accounts.path}")
            print(f"removed {name} from {accounts.path} (a running dashboard keeps its session "
                  "until it restarts)")
            return 0
        password = accounts.add(name, role)
    except (AccountError, OSError) as exc:
        return _fail(str(exc))
    print(f"{name} ({role}) can log in with the password: {password}")
    print(f"(stored hashed in {accounts.path}; run this again to set a new one)")
    return 0


def first_account(inst: Installation, user: str | None) -> str | None:
    """At `service install`: a technician account with a printed password, if the dashboard
    is enabled and nobody has an account yet. Returns the line to print (or None)."""
    import pwd

    from museokit.dashboard.auth import ACCOUNTS_FILE, Accounts

    if not inst.staff.dashboard.enabled:
        return None
    try:
        entry = pwd.getpwnam(user) if user else pwd.getpwuid(os.getuid())
    except KeyError:
        return None
    folder = state_dir_for(inst, None, Path(entry.pw_dir))
    accounts = Accounts(folder / ACCOUNTS_FILE)
    if accounts.load():
        return None
    password = accounts.add("technician", "technician")
    if os.getuid() == 0:
        for path in (folder, accounts.path):
            os.chown(path, entry.pw_uid, entry.pw_gid)
    return (f"dashboard: log in as `technician` with the password {password} (shown once; "
            "`museokit dashboard user add NAME PATH --role staff` adds more accounts)")


def make_cert(folder: Path, host: str) -> int:
    """A self-signed certificate and key (openssl) beside the installation file."""
    crt, key = folder / "dashboard.crt", folder / "dashboard.key"
    if not folder.is_dir():
        return _fail(f"{folder} is not a folder; give the installation folder")
    command = ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-sha256",
               "-days", "825", "-subj", f"/CN={host}", "-addext",
               f"subjectAltName=DNS:{host},DNS:localhost,IP:127.0.0.1",
               "-keyout", str(key), "-out", str(crt)]
    try:
        result = subprocess.run(command, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        return _fail("openssl is not installed: sudo apt install openssl")
    if result.returncode != 0:
        return _fail(f"openssl failed: {result.stderr.strip()[-300:]}")
    os.chmod(key, 0o600)
    print(f"wrote {crt} and {key} (valid 825 days, for {host}); add to installation.toml:")
    print('[dashboard]\ntls_cert = "dashboard.crt"\ntls_key = "dashboard.key"')
    print("Browsers warn once about a self-signed certificate: accept it on each staff device.")
    return 0


def serve_alone(inst: Installation | None, args: argparse.Namespace) -> int:
    """The dashboard without the installation: it reads a broker's retained topics."""
    from dataclasses import replace

    from museokit.core.nodes import URL_HINT, parse_broker_url
    from museokit.core.opsconfig import DashboardConfig
    from museokit.dashboard.feeds import MqttFeed
    from museokit.dashboard.server import Dashboard

    text = args.broker or os.environ.get("MUSEOKIT_BROKER") or (
        str(inst.broker.url) if inst is not None and inst.broker.url else None)
    if not text:
        return _fail("the dashboard alone reads a broker: give --broker mqtt://HOST:PORT")
    try:
        url = parse_broker_url(text) if args.broker or not inst or not inst.broker.url \
            else inst.broker.url
    except ValueError as exc:
        return _fail(f"--broker: {exc} — {URL_HINT}")
    settings = inst.staff.dashboard if inst is not None else DashboardConfig()
    if args.bind:
        settings = replace(settings, bind=args.bind)
    if args.port:
        settings = replace(settings, port=args.port)
    state_dir = state_dir_for(inst, args.state_dir)
    dash = Dashboard(state_dir, settings, title=inst.name if inst else "museokit fleet")
    feed = MqttFeed(url, dash.handoff, sites=(inst.site,) if inst is not None else ())
    done = threading.Event()
    previous = {s: signal.signal(s, lambda *_: done.set()) for s in (signal.SIGINT, signal.SIGTERM)}
    if not dash.start():
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        return 1
    feed.start()
    print(f"museokit: dashboard on {dash.url} ({'site ' + inst.site if inst else 'every site'} "
          f"from {url})", flush=True)
    try:
        done.wait()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        feed.close()
        dash.stop()
    return 0


def start_services(runtime: Runtime, link: Any, state_dir: Path, log_file: Path | None = None,
                   *, lead: bool = True) -> Callable[[], None]:
    """What `museokit run` starts beside the installation, from its file: on every node with
    a broker, its retained `…/health`; on the lead node, the dashboard, alerts and
    maintenance mode. Returns the function that stops them all."""
    inst = runtime.installation
    closers: list[Callable[[], None]] = []

    def close() -> None:
        for fn in closers:
            fn()
    if link:
        from museokit.ops.health import HealthPublisher, snapshot

        runtime.health.vitals.append(lambda: snapshot(state_dir, runtime.bus.stats.errors))
        health = HealthPublisher(link.publish, inst.site, inst.node, runtime.health.table)
        health.start()
        closers.append(health.close)
    if not lead:
        return close
    if inst.staff.dashboard.enabled:
        from museokit.dashboard.attach import serve

        served = serve(runtime, state_dir, log_file)
        if served is not None:
            print(f"museokit: dashboard on {served.dashboard.url}", flush=True)
            closers.append(served.close)
            dashboard = served.dashboard
        else:
            dashboard = None
    else:
        dashboard = None
    if inst.staff.alerts is not None:
        from museokit.ops.alerts import Alerts, Sender, Sink, dashboard_sink, mqtt_sink

        sinks: list[Sink] = []
        if link:
            sinks.append(mqtt_sink(link.publish, inst.site, inst.node))
        if dashboard is not None:
            sinks.append(dashboard_sink(dashboard.handoff.put, inst.site, inst.node))
        cfg = inst.staff.alerts
        if cfg.webhook or cfg.smtp:
            sender = Sender(cfg, f"{inst.name} ({inst.site}/{inst.node})")
            sinks.append(sender)
            closers.append(sender.close)
        from museokit.ops.interactions import log_path

        alerts = Alerts(runtime, cfg, sinks, state_dir,
                        log_file=log_file or log_path(inst, state_dir))
        alerts.start()
        closers.insert(0, alerts.close)
    if inst.staff.maintenance is not None:
        from museokit.ops.maintenance import Maintenance

        handoff_put = dashboard.handoff.put if dashboard is not None else None
        maint = Maintenance(runtime, inst.staff.maintenance,
                            on_change=(lambda on: handoff_put(("mode", {"maintenance": on})))
                            if handoff_put else None)
        maint.start()
        closers.insert(0, maint.close)

    return close
