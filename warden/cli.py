"""The ``warden`` command line.

Each subcommand lives in its own small function; ``main`` only parses and
dispatches. Exit codes: 0 success, 1 runtime failure, 2 usage or bad
configuration, 3 no daemon running (introspection commands).
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import re
import signal
import sys
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from warden import __version__
from warden.cli_chaos import register as register_chaos_commands
from warden.cli_control import register as register_control_commands
from warden.cli_order import register as register_order_commands

if TYPE_CHECKING:
    from warden.config import Config

EXIT_FAILURE = 1
EXIT_USAGE = 2


_DOLLARS = re.compile(r"(?:0|[1-9][0-9]{0,14})(?:\.[0-9]{1,2})?")


def _dollars(text: str) -> Decimal:
    """An argparse type: exact dollars such as ``10000.00`` (no sign, at most 2 decimals)."""
    if _DOLLARS.fullmatch(text) is None:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an amount of dollars such as 10000.00 (at most 2 decimals)"
        )
    return Decimal(text)


def _is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 or ``localhost``: reachable from this machine only."""
    if host.lower().rstrip(".") == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:  # any other name may resolve to anything
        return False


def _control_host_problem(args: argparse.Namespace) -> str | None:
    if _is_loopback(args.control_host) or args.control_allow_remote:
        return None
    return (
        f"--control-host {args.control_host} is not a loopback address; the control plane "
        "is plain HTTP (its bearer token travels in clear), so binding it where the "
        "network can reach it needs --control-allow-remote"
    )


def _flag_problem(args: argparse.Namespace) -> str | None:
    """The first of ``run``'s numeric flags out of range, as ``--flag <rule>, got value``."""
    from supervision import validators  # noqa: PLC0415 - fast --help

    flags = (
        ("control_port", validators.port()),
        ("duration", validators.optional(validators.seconds(), none="absent (run until stopped)")),
    )
    for name, rule in flags:
        value = getattr(args, name)
        if not rule.check(value):
            return f"--{name.replace('_', '-')} {rule.wording}, got {value!r}"
    return None


def _venue_key_problem(config: Config) -> str | None:
    """A Kalshi or Polymarket venue's keys, checked before anything starts: the
    problems in one line, or None (then its notices are printed, e.g. real money)."""
    from warden.venue_target import (  # noqa: PLC0415
        key_problems,
        polymarket_key_problems,
        venue_notices,
    )

    venue = config.venue
    if venue.kind == "kalshi":
        problems = key_problems(venue.private_key_path, os.environ)
    elif venue.kind == "polymarket":
        problems = polymarket_key_problems(
            venue.private_key_path,
            venue.api_credentials_path,
            paper=venue.paper,
            environ=os.environ,
        )
    else:
        return None
    if problems:
        return "; ".join(problems)
    for notice in venue_notices(venue):
        print(f"warden run: {notice}", file=sys.stderr, flush=True)
    return None


def _cmd_run(args: argparse.Namespace) -> int:
    """Run the supervised daemon (exit 0 graceful stop, 1 root escalation, 2 bad config,
    bad flags or an unusable ledger/runtime directory -- found before anything starts)."""
    import attrs  # noqa: PLC0415 - fast --help

    from warden.config import (  # noqa: PLC0415
        ConfigError,
        check_daemon_paths,
        resolve_run_config,
    )
    from warden.daemon import Daemon  # noqa: PLC0415
    from warden.logs import configure_logging  # noqa: PLC0415

    try:
        config = resolve_run_config(args.config)
        daemon_section = config.daemon
        if args.db is not None:
            # a flag's relative path is the operator's cwd, as any command's
            daemon_section = attrs.evolve(daemon_section, db=os.path.normpath(Path.cwd() / args.db))
        if args.dry_run:
            daemon_section = attrs.evolve(daemon_section, dry_run=True)
        if args.log_json:
            daemon_section = attrs.evolve(daemon_section, log_json=True)
        venue_section = config.venue
        if args.venue_url is not None:
            venue_section = attrs.evolve(venue_section, url=args.venue_url)
        config = attrs.evolve(config, daemon=daemon_section, venue=venue_section)
    except (ConfigError, ValueError) as error:
        print(f"warden run: {error}", file=sys.stderr)
        return EXIT_USAGE
    flag_problem = _flag_problem(args)
    if flag_problem is not None:
        print(f"warden run: {flag_problem}", file=sys.stderr)
        return EXIT_USAGE
    host_problem = _control_host_problem(args)
    if host_problem is not None:
        print(f"warden run: {host_problem}", file=sys.stderr)
        return EXIT_USAGE
    path_problems = check_daemon_paths(
        config.daemon, create=True, db_key="--db" if args.db is not None else "daemon.db"
    )
    if path_problems:
        print(f"warden run: {'; '.join(map(str, path_problems))}", file=sys.stderr)
        return EXIT_USAGE
    key_problem = _venue_key_problem(config)
    if key_problem is not None:
        print(f"warden run: {key_problem}", file=sys.stderr)
        return EXIT_USAGE
    if not _is_loopback(args.control_host):
        print(
            f"warden run: WARNING: the control plane listens on {args.control_host}, "
            "reachable from the network, over plain HTTP: the bearer token and every "
            "command travel in clear",
            file=sys.stderr,
            flush=True,
        )
    configure_logging(json=config.daemon.log_json)
    daemon = Daemon(
        config,
        control_host=args.control_host,
        control_port=args.control_port,
        chaos=args.chaos,
    )
    return daemon.run(duration=args.duration)


def _cmd_check_config(args: argparse.Namespace) -> int:
    """Validate a config file offline: exit 0 and print "ok", or exit 2 naming every bad
    key, every unusable path (checked without creating anything) and what is wrong with
    the venue's secrets (a Kalshi private key; a Polymarket wallet key and API
    credentials), never a secret itself. A valid config prints its notice lines first
    (:func:`warden.venue_target.venue_notices`): one that trades real money (Kalshi
    production, Polymarket with ``paper = false``, with the wallet's public address),
    a key file that overrides a set variable, keys a paper venue does not use."""
    from warden.config import check_config_file, load_config  # noqa: PLC0415 - fast --help
    from warden.venue_target import venue_notices  # noqa: PLC0415

    problems = check_config_file(args.path)
    if problems:
        print(f"warden check-config: {args.path}: {'; '.join(problems)}", file=sys.stderr)
        return EXIT_USAGE
    for notice in venue_notices(load_config(args.path).venue):
        print(f"{args.path}: {notice}")
    print(f"{args.path}: ok")
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    """Print the ledger (read-only; safe while the daemon runs). Exit 2 on a bad flag or
    config, 1 if the ledger cannot be read."""
    from warden.config import ConfigError, resolve_run_config  # noqa: PLC0415 - fast --help
    from warden.report import ReportFilter, run_report  # noqa: PLC0415

    try:
        selection = ReportFilter.from_flags(since=args.since, market=args.market, limit=args.limit)
        if args.db is not None:
            if args.config is not None:  # --db wins, but a bad --config is still a mistake
                resolve_run_config(args.config)
            db = Path(args.db)
        else:
            db = Path(resolve_run_config(args.config).daemon.db)
    except (ConfigError, ValueError) as error:
        print(f"warden report: {error}", file=sys.stderr)
        return EXIT_USAGE
    return run_report(db, as_json=args.json, out=sys.stdout, selection=selection)


def _leaves(error: BaseException) -> list[BaseException]:
    if isinstance(error, BaseExceptionGroup):
        return [leaf for inner in error.exceptions for leaf in _leaves(inner)]
    return [error]


def _public_keys(given: list[str]) -> dict[str, str]:
    """``KEY_ID=PEM_FILE`` pairs as key id -> PEM text; ``ValueError`` naming a bad one
    (the file is a public key: nothing secret is read or printed)."""
    keys: dict[str, str] = {}
    for pair in given:
        key_id, sep, path = pair.partition("=")
        if not sep or not key_id or not path:
            raise ValueError(f"--kalshi-public-key {pair!r}: expected KEY_ID=PEM_FILE")
        keys[key_id] = Path(path).read_text()
    return keys


def _cmd_venue_sim(args: argparse.Namespace) -> int:
    """Serve the simulated venue on 127.0.0.1 until interrupted (Ctrl-C exits 0)."""
    import trio  # noqa: PLC0415 - keep `warden --help` fast; only this command needs the server

    from actors.money import KalshiFees, PolymarketFees  # noqa: PLC0415
    from warden.venue import (  # noqa: PLC0415
        BadRequest,
        DynamicsConfig,
        RealismConfig,
        VenueConfig,
        load_polymarket_config,
        parse_faults,
        serve_venue,
    )

    try:
        faults_text = args.faults
        if faults_text.startswith("@"):
            faults_text = Path(faults_text[1:]).read_text()
        faults = parse_faults(json.loads(faults_text))
        config = VenueConfig(
            port=args.port,
            seed=args.seed,
            markets=args.markets,
            trader_cash=args.trader_cash,
            dynamics=DynamicsConfig(
                tick_seconds=args.tick,
                arb_rate=args.arb_rate,
                arb_lifetime_seconds=args.arb_lifetime,
                move_rate=args.move_rate,
            ),
            faults=faults,
            ping_interval_s=args.ping_interval if args.heartbeat is None else args.heartbeat,
            realism=RealismConfig() if args.realism else None,
            kalshi_public_keys=_public_keys(args.kalshi_public_key),
            legacy_fields=args.legacy_fields,
            polymarket=(
                None
                if args.polymarket_account is None
                else load_polymarket_config(args.polymarket_account)
            ),
            fees=(
                KalshiFees()
                if args.polymarket_fee_rate is None
                else PolymarketFees(taker_rate=args.polymarket_fee_rate)
            ),
        )
    except (OSError, ValueError, BadRequest) as error:
        print(f"warden venue-sim: {error}", file=sys.stderr)
        return EXIT_USAGE

    async def serve() -> None:
        # SIGINT/SIGTERM are received, not raised as KeyboardInterrupt at whatever
        # checkpoint (inside hypercorn's shutdown, say): the stop is an orderly cancel.
        with trio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
            async with trio.open_nursery() as nursery:
                venue = await nursery.start(serve_venue, config)
                print(f"venue-sim listening on {venue.url}", flush=True)
                print(f"  REST      {venue.rest_url}", flush=True)
                print(f"  websocket {venue.ws_url}", flush=True)
                print(f"  markets   {', '.join(config.tickers)}  seed {config.seed}", flush=True)
                if config.polymarket is not None:
                    print(f"  polymarket CLOB {venue.url}  gamma {venue.url}/gamma", flush=True)
                    print(f"  polymarket ws   {venue.polymarket_market_ws_url}", flush=True)
                async for _ in signals:
                    nursery.cancel_scope.cancel()
                    break

    failures: list[BaseException] = []
    try:
        trio.run(serve)
    except* OSError as group:  # the port is taken, or not ours to bind
        failures.extend(_leaves(group))
    if failures:
        print(f"warden venue-sim: cannot serve on {args.port}: {failures[0]}", file=sys.stderr)
        return EXIT_FAILURE
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="warden", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"warden {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    run = commands.add_parser("run", help="run the supervised daemon")
    run.add_argument("--config", type=Path, help="TOML config (default: config/default.toml)")
    run.add_argument("--db", type=Path, help="ledger file (overrides daemon.db)")
    run.add_argument("--venue-url", help="a separate venue (e.g. warden venue-sim) instead")
    run.add_argument("--dry-run", action="store_true", help="record intents, send no orders")
    run.add_argument("--log-json", action="store_true", help="JSON log lines on stderr")
    run.add_argument("--duration", type=float, help="stop gracefully after this many seconds")
    run.add_argument(
        "--control-host", default="127.0.0.1", help="control plane address (default 127.0.0.1)"
    )
    run.add_argument(
        "--control-port", type=int, default=0, help="control plane port; 0 picks a free one"
    )
    run.add_argument(
        "--control-allow-remote",
        action="store_true",
        help="allow a non-loopback --control-host (plain HTTP: the token travels in clear)",
    )
    run.add_argument(
        "--chaos",
        action="store_true",
        help="testing only: serve the /chaos/ fault-injection routes (token required)",
    )
    run.set_defaults(handler=_cmd_run)

    report = commands.add_parser("report", help="orders, fills, positions, P&L from the ledger")
    report.add_argument(
        "--config", type=Path, help="read daemon.db from this config, as `run` does"
    )
    report.add_argument("--db", type=Path, help="ledger file (overrides daemon.db)")
    report.add_argument(
        "--since", help="orders, fills, days at/after this ISO date or time (UTC unless offset)"
    )
    report.add_argument("--market", help="only this market's orders, fills and position")
    report.add_argument("--limit", help="at most the N newest orders, fills and days")
    report.add_argument("--json", action="store_true", help="machine-readable output")
    report.set_defaults(handler=_cmd_report)

    check = commands.add_parser(
        "check-config", help="validate a TOML config file (and a venue's keys), offline"
    )
    check.add_argument("path", type=Path)
    check.set_defaults(handler=_cmd_check_config)

    sim = commands.add_parser(
        "venue-sim", help="serve the simulated Kalshi-style venue on 127.0.0.1"
    )
    sim.add_argument("--port", type=int, default=8700, help="TCP port; 0 picks a free one")
    sim.add_argument("--seed", type=int, default=0, help="seed of the market and the faults")
    sim.add_argument("--markets", type=int, default=3, help="number of markets SIM-001...")
    sim.add_argument(
        "--tick", type=float, default=0.5, help="seconds between market moves; 0 = frozen"
    )
    sim.add_argument(
        "--arb-rate", type=float, default=0.02, help="chance per market per tick of an opportunity"
    )
    sim.add_argument(
        "--arb-lifetime", type=float, default=2.0, help="seconds before competitors take it"
    )
    sim.add_argument(
        "--move-rate",
        type=float,
        default=0.1,
        help="chance per market per tick that its fair price walks (1 = every market, every tick)",
    )
    sim.add_argument(
        "--trader-cash",
        type=_dollars,
        default=Decimal("10000.00"),
        help="starting cash in dollars (default 10000.00)",
    )
    sim.add_argument(
        "--ping-interval",
        type=float,
        default=10.0,
        help="seconds between websocket PING frames (Kalshi: 10); 0 = none",
    )
    sim.add_argument(
        "--heartbeat", type=float, default=None, help="the old name of --ping-interval"
    )
    sim.add_argument(
        "--kalshi-public-key",
        action="append",
        default=[],
        metavar="KEY_ID=PEM_FILE",
        help="check Kalshi signatures: requests must be signed by this key (repeatable)",
    )
    sim.add_argument(
        "--legacy-fields",
        action="store_true",
        help="add Kalshi's transition-era integer fields (older clients, the official SDK)",
    )
    sim.add_argument(
        "--realism",
        action="store_true",
        help="reciprocal never-crossed books, events, lagging makers (docs/venue-sim.md);"
        " --markets is then ignored: the events decide the markets",
    )
    sim.add_argument(
        "--faults", default="{}", help="fault knobs as JSON, or @file.json (see docs/venue-sim.md)"
    )
    sim.add_argument(
        "--polymarket-account",
        type=Path,
        default=None,
        metavar="JSON_FILE",
        help='serve the Polymarket dialect for this account: {"address", "apiKey", "secret",'
        ' "passphrase", "signatureType"?, "funder"?} (docs/venue-sim.md)',
    )
    sim.add_argument(
        "--polymarket-fee-rate",
        type=lambda text: Decimal(repr(float(text))),  # "0.04" exactly; "abc" is a usage error
        default=None,
        metavar="RATE",
        help="charge Polymarket's taker-only fee at this rate (e.g. 0.04) instead of Kalshi's",
    )
    sim.set_defaults(handler=_cmd_venue_sim)
    register_control_commands(commands)
    register_chaos_commands(commands)
    register_order_commands(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args))
    except BrokenPipeError:  # e.g. `warden report | head`: the reader left, not an error
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())
