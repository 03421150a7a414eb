"""The `museokit` command: run, check, sim, boards, service, doctor, broker, new, explain,
and the brick commands (brick, bricks, catalog: `museokit.bricks.commands`).

Imports stay inside the commands so that `museokit run` on a Pi Zero loads only
what its installation uses.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from museokit import __version__
from museokit.cli_support import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    load_or_report,
    node_plan,
    on_signals,
    print_issues,
    print_stopped,
    start_or_report,
)

if TYPE_CHECKING:
    from museokit.core.config import Installation
    from museokit.core.runtime import Runtime

log = logging.getLogger("museokit")

def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    _setup_logging(args)
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        result: int = args.func(args)
        return result
    except KeyboardInterrupt:
        print("museokit: interrupted", file=sys.stderr)
        return EXIT_OK


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="museokit", description="Build, simulate and run interactive museum installations.")
    p.add_argument("--version", action="version", version=f"museokit {__version__}")
    p.add_argument("-v", "--verbose", action="count", default=0, help="more log (-vv: debug)")
    p.add_argument("-q", "--quiet", action="store_true", help="only warnings and errors")
    sub = p.add_subparsers(title="commands", metavar="COMMAND")

    run = sub.add_parser("run", help="run an installation on its hardware")
    run.add_argument("path", help="installation folder (or its installation.toml)")
    run.add_argument("--backend", help="default backend for devices without one (gpio, sim, ...)")
    _add_broker_args(run)
    run.add_argument("--display", choices=("fullscreen", "window", "headless"),
                     help="how screens show (default: fullscreen, cursor hidden)")
    run.add_argument("--log", metavar="FILE", help="interaction log (default: interactions.sqlite "
                     "in the state folder, see --state-dir)")
    run.add_argument("--no-log", action="store_true", help="keep no interaction log")
    run.set_defaults(func=cmd_run)

    check = sub.add_parser("check", help="check an installation file and its behaviour")
    check.add_argument("path")
    check.set_defaults(func=cmd_check)

    sim = sub.add_parser("sim", help="run an installation in the simulator",
                         description="Without options: live, headless, type visitor actions. "
                                     "With --scenario: run scenario files and report. "
                                     "With --visitors: simulate a gallery day.")
    sim.add_argument("path")
    sim.add_argument("--scenario", action="append", default=[], metavar="FILE",
                     help="scenario file or folder of *.scenario files (repeatable)")
    sim.add_argument("--visitors", type=int, metavar="N", help="random visitors for a gallery day")
    sim.add_argument("--hours", type=float, default=8.0, metavar="H", help="length of the day")
    sim.add_argument("--seed", type=int, default=1, metavar="S", help="random seed (same seed, same day)")
    sim.add_argument("--for", dest="duration", type=float, metavar="SECONDS",
                     help="live mode: stop after this many seconds")
    _add_broker_args(sim)
    sim.add_argument("--camera", metavar="FILE_OR_NUMBER",
                     help="what every camera watches: a video file, or a webcam number (0 is "
                          "the laptop's own); overrides sim_source")
    sim.add_argument("--record", type=Path, metavar="FILE",
                     help="live mode: save what you play, and what it did, as a scenario file")
    sim.add_argument("--headless", action="store_true",
                     help="live mode: the terminal console even when a display is present")
    sim.add_argument("--log", type=Path, metavar="FILE",
                     help="keep an interaction log of the run in FILE (SQLite), for reports")
    sim.add_argument("--days", type=int, default=1, metavar="N",
                     help="with --visitors: simulate N consecutive gallery days")
    sim.add_argument("--replay", type=Path, metavar="LOG",
                     help="play the visitors of an interaction log again and print where the "
                          "installation now behaves differently")
    sim.add_argument("--from", dest="start", metavar="DATE", help="--replay: from this day/time")
    sim.add_argument("--to", dest="end", metavar="DATE", help="--replay: up to this day, included")
    sim.set_defaults(func=cmd_sim)

    boards = sub.add_parser("boards", help="list the museokit boards plugged in (serial)",
                            description="Show each board's id, firmware and features, to put "
                                        "in [serial] boards; or give one board a new id.")
    boards.add_argument("ports", nargs="*", metavar="PORT",
                        help="ports to ask (default: every USB serial board)")
    boards.add_argument("--set-id", metavar="ID", help="store this 8-hex-digit id on the board "
                        "at PORT (exactly one PORT)")
    boards.set_defaults(func=cmd_boards)

    service = sub.add_parser("service", help="run an installation at boot as a systemd service",
                             description="install: write and enable a systemd unit (restart "
                                         "always, watchdog); status, logs, uninstall.")
    service.add_argument("action", choices=("install", "status", "logs", "uninstall"))
    service.add_argument("path", help="installation folder (or its installation.toml)")
    service.add_argument("--user", help="install: who the service runs as (default: you)")
    service.add_argument("--realtime", action="store_true",
                         help="install: run before other programs (SCHED_FIFO), so a busy Pi "
                              "does not delay visitors' presses")
    service.add_argument("-n", "--lines", type=int, default=100, help="logs: how many lines")
    service.add_argument("-f", "--follow", action="store_true", help="logs: keep following")
    service.set_defaults(func=cmd_service)

    doctor = sub.add_parser("doctor", help="check this machine: GPIO, audio, display, disk, "
                                           "clock, service")
    doctor.add_argument("path", nargs="?", help="installation whose service to check too")
    doctor.set_defaults(func=cmd_doctor)

    explain = sub.add_parser("explain", help="describe a device kind: options, events, commands, "
                             "wiring and an example (docs/devices.md has every kind)")
    explain.add_argument("kind", nargs="?", help="a kind (button, led...); without it: list the kinds")
    explain.add_argument("--all", action="store_true", help="every installed kind, as Markdown")
    explain.set_defaults(func=cmd_explain)
    from museokit.evaluation.logcmd import add_parser as add_log
    from museokit.evaluation.report.command import add_parser as add_report

    add_report(sub)
    add_log(sub)

    new = sub.add_parser("new", help="start a new installation from a template, or fork a brick")
    new.add_argument("path")
    new.add_argument("--template", default="basic", help="template name (default: basic)")
    new.add_argument("--from", dest="source", metavar="SOURCE",
                     help="fork a brick: a folder, an installed brick's name, a git URL "
                          "(git+file://…, git+https://…[@ref]) or a .whl/.tar.gz")
    new.add_argument("--author", help="with --from: the fork's author (default: git user.name)")
    new.set_defaults(func=cmd_new)

    broker = sub.add_parser("broker", help="configure or start Mosquitto for an installation")
    broker_sub = broker.add_subparsers(title="broker commands", metavar="ACTION")
    for name, helptext, func in (
            ("config", "write mosquitto.conf, passwords and an ACL per node", cmd_broker_config),
            ("run", "start Mosquitto for a laptop session (no passwords unless --auth)",
             cmd_broker_run)):
        b = broker_sub.add_parser(name, help=helptext)
        b.add_argument("path", nargs="?", help="installation folder (its nodes get users and ACLs)")
        b.add_argument("--dir", default=".museokit-broker" if name == "run" else "broker",
                       help="folder for the config, passwords and persistence")
        b.add_argument("--port", type=int, default=1883)
        b.add_argument("--bind", default="127.0.0.1" if name == "run" else "",
                       help="address to listen on (default: all for config, 127.0.0.1 for run)")
        auth = b.add_mutually_exclusive_group()
        auth.add_argument("--auth", dest="auth", action="store_true", default=name == "config",
                          help="passwords and ACLs per node (the default for config)")
        auth.add_argument("--no-auth", dest="auth", action="store_false", help="anonymous clients")
        b.add_argument("--tls-cert", help="server certificate: adds a TLS listener on 8883")
        b.add_argument("--tls-key", help="its private key")
        b.add_argument("--tls-ca", help="CA that clients' certificates must come from (optional)")
        b.add_argument("--bridge", metavar="URL", help="also bridge this site's topics out to a "
                       "central broker (the fleet view): mqtt://[user:pass@]host:port")
        b.set_defaults(func=func)
    from museokit.dashboard.command import add_parser as add_dashboard

    add_dashboard(sub)

    from museokit.bricks.commands import register

    register(sub)
    return p


def _add_broker_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("several nodes over MQTT (without a broker, every device runs here)")
    g.add_argument("--broker", metavar="URL",
                   help="join a broker: mqtt://[user:pass@]host:port (or set MUSEOKIT_BROKER, "
                        "or [broker] url in the installation file)")
    g.add_argument("--node", help="which node of the installation this box is (default: the lead)")
    g.add_argument("--state-dir", help="the node's state folder: its interaction log, and the "
                   "events waiting on disk while the broker is away")
    g.add_argument("--tls-ca", help="CA certificate to check the broker with (TLS)")
    g.add_argument("--tls-cert", help="client certificate (TLS)")
    g.add_argument("--tls-key", help="client key (TLS)")
    g.add_argument("--discovery", action="store_true", help="publish Home Assistant discovery")


def _setup_logging(args: argparse.Namespace) -> None:
    level = logging.WARNING if args.quiet else (
        logging.DEBUG if args.verbose >= 2 else logging.INFO)
    level = getattr(logging, os.environ.get("MUSEOKIT_LOG_LEVEL", "").upper(), level)
    logging.basicConfig(level=level, stream=sys.stderr,
                        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
                        datefmt="%H:%M:%S")


def _until_signalled(runtime: Runtime, ready: str, before: Callable[[], Any] | None = None,
                     display: str | None = None, kiosk: bool = False,
                     after: Callable[[], Any] | None = None) -> int:
    """Run in real time until SIGINT/SIGTERM, then close cleanly.

    With a screen, the display takes the main thread and the runtime loop runs on another.
    """
    with on_signals(runtime.stop):
        try:
            if before is not None:
                before()
            print(ready, flush=True)
            _serve(runtime, display, kiosk)
        finally:
            if after is not None:
                after()
            runtime.close()
            print_stopped(runtime)
    return EXIT_OK


def _serve(runtime: Runtime, display: str | None, kiosk: bool) -> None:
    if not any(getattr(d.cls, "draw", None) for d in runtime.installation.devices):
        runtime.run_forever()
        return
    from museokit.media.display import DisplayHost, default_mode, screens_of

    host = DisplayHost(runtime, screens_of(runtime), display or default_mode(kiosk))
    try:
        host.run()
    finally:
        host.close()


# -- commands ------------------------------------------------------------------------

def cmd_run(args: argparse.Namespace) -> int:
    from museokit.core.runtime import Runtime

    inst = load_or_report(args.path)
    joined = node_plan(inst, args) if inst is not None else None
    if joined is None:
        return EXIT_FAILED
    args.lead = args.node in (None, inst.node) if inst is not None else True
    inst, settings = joined
    runtime = Runtime(inst, backend=args.backend)
    interactions = None
    if inst.log.enabled and not args.no_log:
        from museokit.ops.interactions import start_log

        interactions = start_log(runtime, state_dir=args.state_dir, file=args.log)
    try:
        return _run_linked(runtime, settings, args)
    finally:
        if interactions is not None:
            interactions.close()


def _run_linked(runtime: Runtime, settings: Any, args: argparse.Namespace) -> int:
    from museokit.ops.sdnotify import SystemdNotifier

    inst = runtime.installation
    link = _link(runtime, settings)
    if link is False or not _start_linked(runtime, link):
        return EXIT_FAILED
    backends = ", ".join(sorted(set(runtime.device_backend.values()))) or "no backend"
    if inst.schedule is not None:
        from museokit.ops.display_power import choose, follow_schedule

        follow_schedule(runtime.bus, choose(inst.schedule.display))
    notifier = SystemdNotifier(runtime.loop)  # READY=1 and watchdog pings under systemd
    staff = _staff_services(runtime, link, args, settings)

    def after() -> None:
        staff()
        if link:
            link.close()
    try:
        return _until_signalled(runtime, f"museokit: {inst.name} ready — {len(inst.devices)} "
                                         f"devices on {backends}{_where(link)}", notifier.start,
                                display=args.display, kiosk=True, after=after)
    finally:
        notifier.stop()


def _staff_services(runtime: Runtime, link: Any, args: argparse.Namespace,
                    settings: Any) -> Callable[[], None]:
    """The dashboard, alerts and maintenance mode the file asks for (museokit.dashboard.command)."""
    from museokit.dashboard.command import start_services, state_dir_for

    state_dir = settings.state_dir if settings else state_dir_for(runtime.installation,
                                                                  args.state_dir)
    return start_services(runtime, link, state_dir, Path(args.log) if args.log else None,
                          lead=args.lead)


def _link(runtime: Runtime, settings: Any) -> Any:
    """The node's MQTT link (None without a broker, False if it cannot be made)."""
    if settings is None:
        return None
    try:
        from museokit.net.link import Link
    except ImportError as exc:
        print(f"museokit: joining a broker needs paho-mqtt ({exc}): "
              "pip install 'museokit[mqtt]'", file=sys.stderr)
        return False
    try:
        return Link(runtime, settings)
    except OSError as exc:
        print(f"museokit: cannot use the state folder {settings.state_dir}: {exc} — "
              "give --state-dir or set MUSEOKIT_STATE_DIR", file=sys.stderr)
        return False


def _start_linked(runtime: Runtime, link: Any) -> bool:
    if not start_or_report(runtime):
        if link:
            link.close()
        return False
    if link:
        link.start()
    return True


def _where(link: Any) -> str:
    return f"; node {link.node} on broker {link.settings.url}" if link else ""
def cmd_check(args: argparse.Namespace) -> int:
    from museokit.bricks.commands import check_brick
    from museokit.core.clock import VirtualClock
    from museokit.core.runtime import Runtime

    verdict = check_brick(args.path)
    if verdict is not None:
        return verdict
    inst = load_or_report(args.path)
    if inst is None:
        return EXIT_FAILED
    # Start it once in the simulator: this imports the behaviour module, so a
    # handler naming an unknown event is caught here and not at opening time.
    runtime = Runtime(inst, clock=VirtualClock(), backend_override="sim")
    if not start_or_report(runtime):
        return EXIT_FAILED
    runtime.close()
    if any(getattr(d.cls, "media_commands", ()) for d in inst.devices):
        from museokit.media.check import check_media

        problems, checked = check_media(inst)
        if problems:
            print_issues(problems)
            return EXIT_FAILED
        print(*_summary(inst), f"  media   {checked} files, each found and decoded", sep="\n")
        return EXIT_OK
    for line in _summary(inst):
        print(line)
    return EXIT_OK


def _summary(inst: Installation) -> list[str]:
    lines = [f"{inst.file}: OK — {inst.name!r} (site {inst.site}, node {inst.node})"]
    for d in inst.devices:
        pins = ", ".join(f"{k} {v}" for k, v in d.pins.items()) or ("no pin yet" if d.cls.pins else "")
        backend = f", backend {d.backend}" if d.backend else ""
        lines.append(f"  device  {d.id:<14} {d.kind:<11} {pins}{backend}".rstrip())
    if inst.states:
        names = " → ".join(s.name for s in inst.states)
        lines.append(f"  states  {names} (starts in {inst.states[0].name})")
    if inst.rules:
        lines.append(f"  rules   {len(inst.rules)}")
    if inst.behaviour:
        lines.append(f"  behaviour {inst.behaviour.name}")
    lines += [f"  uses    {u.brick} {u.version or ''}".rstrip() for u in inst.uses]
    lines += [f"  note: {w}" for w in inst.warnings]
    return lines


def cmd_sim(args: argparse.Namespace) -> int:
    from museokit.sim.command import simulate

    return simulate(args)


def cmd_boards(args: argparse.Namespace) -> int:
    try:
        from museokit.backends.serial import boards
    except ImportError as exc:
        print(f"museokit: {exc}", file=sys.stderr)
        return EXIT_FAILED
    try:
        if args.set_id is None:
            print("\n".join(boards.describe(args.ports)))
        elif len(args.ports) != 1:
            print("museokit: --set-id needs exactly one PORT, like "
                  "`museokit boards /dev/ttyACM0 --set-id 3FA29C02`", file=sys.stderr)
            return EXIT_USAGE
        else:
            print(boards.set_id(args.ports[0], args.set_id))
    except ModuleNotFoundError:
        print("museokit: pyserial is not installed: pip install 'museokit[serial]'", file=sys.stderr)
        return EXIT_FAILED
    except ValueError as exc:
        print(f"museokit: {exc}", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


def cmd_service(args: argparse.Namespace) -> int:
    from museokit.ops.service import ServiceError, Systemd

    inst = load_or_report(args.path)
    if inst is None:
        return EXIT_FAILED
    systemd = Systemd()
    try:
        if args.action == "install":
            path = systemd.install(inst, args.user, args.realtime)
            print(f"installed {path}: starts at boot, restarts if it stops or hangs; "
                  f"`museokit service status {args.path}` shows how it runs")
            from museokit.dashboard.command import first_account

            account = first_account(inst, args.user)
            if account:
                print(account)
        elif args.action == "uninstall":
            print(f"removed {systemd.uninstall(inst)}")
        elif args.action == "status":
            return systemd.status(inst)
        else:
            return systemd.logs(inst, args.lines, args.follow)
    except ServiceError as exc:
        print(f"museokit: {exc}", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


def cmd_doctor(args: argparse.Namespace) -> int:
    from museokit.ops.doctor import PROBLEM, report, run_checks
    from museokit.ops.service import unit_name

    unit = None
    if args.path is not None:
        inst = load_or_report(args.path)
        if inst is None:
            return EXIT_FAILED
        unit = unit_name(inst)
    findings = run_checks(unit)
    for line in report(findings):
        print(line)
    return EXIT_FAILED if any(f.status == PROBLEM for f in findings) else EXIT_OK


def cmd_explain(args: argparse.Namespace) -> int:
    from museokit.reference import explain_command

    if args.kind and args.all:
        print("museokit explain: give a KIND or --all, not both", file=sys.stderr)
        return EXIT_USAGE
    return explain_command(args.kind, args.all)


def cmd_new(args: argparse.Namespace) -> int:
    if args.source is not None:
        if args.template != "basic":
            print("museokit: use --from or --template, not both", file=sys.stderr)
            return EXIT_USAGE
        from museokit.bricks.commands import cmd_fork

        return cmd_fork(args)
    from museokit.templates import TemplateError, create

    try:
        created = create(Path(args.path), args.template)
    except TemplateError as exc:
        print(f"museokit: {exc}", file=sys.stderr)
        return EXIT_FAILED
    print(f"created {args.path}/ with {', '.join(created)}")
    print(f"next: museokit check {args.path}   then: museokit sim {args.path}")
    return EXIT_OK


def cmd_broker_config(args: argparse.Namespace) -> int:
    """Write the broker's files and say how each node joins."""
    files = _broker_files(args)
    if files is None:
        return EXIT_FAILED
    print(f"wrote {files.conf}" + (f", {files.folder / 'passwords'}, {files.folder / 'acl'} and "
                                   f"{files.folder / 'credentials'}" if files.credentials else ""))
    print(f"start it:  mosquitto -c {files.conf}")
    for user, password in files.credentials.items():
        print(f"  {user:<16} --broker mqtt://{user}:{password}@HOST:{args.port}")
    return EXIT_OK


def cmd_broker_run(args: argparse.Namespace) -> int:
    """Start Mosquitto in the foreground with a fresh config (Ctrl-C stops it)."""
    from museokit.net.broker import BrokerError, mosquitto_command

    files = _broker_files(args)
    if files is None:
        return EXIT_FAILED
    try:
        command = mosquitto_command(files.conf)
    except BrokerError as exc:
        print(f"museokit: {exc}", file=sys.stderr)
        return EXIT_FAILED
    host = args.bind or "HOST"
    print(f"museokit: Mosquitto on {host}:{args.port} ({files.conf}); nodes join with "
          f"--broker mqtt://{host}:{args.port}", flush=True)
    os.execv(command[0], command)
    return EXIT_OK  # not reached: Mosquitto replaced this process


def _broker_files(args: argparse.Namespace) -> Any:
    from museokit.net.broker import BrokerError, Tls, write_config

    inst = None
    if args.path is not None:
        inst = load_or_report(args.path)
        if inst is None:
            return None
    if bool(args.tls_cert) != bool(args.tls_key):
        print("museokit: TLS needs both --tls-cert and --tls-key", file=sys.stderr)
        return None
    tls = Tls(args.tls_cert, args.tls_key, args.tls_ca) if args.tls_cert else None
    try:
        return write_config(Path(args.dir), inst=inst, port=args.port, bind=args.bind,
                            auth=args.auth, tls=tls, bridge=args.bridge)
    except (BrokerError, OSError) as exc:
        print(f"museokit: {exc}", file=sys.stderr)
        return None


if __name__ == "__main__":
    sys.exit(main())
