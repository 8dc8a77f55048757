"""``warden ps | inspect | watch | halt | resume | restart | health``: talk to a running daemon.

Each command finds the daemon, in this order: ``--url`` (with ``--token-file``
for the mutating commands), else ``--runtime-file``, else the runtime file in
the ``daemon.runtime_dir`` of the config ``warden run`` would use
(``--config F``, else the installation's ``config/default.toml``, else the
built-in defaults; see :func:`warden.config.resolve_run_config`). Paths in a
config resolve against the config file's directory, so the same ``--config``
finds the same daemon from any current directory.

Every command takes ``--json``: one JSON document on stdout (``watch``: one per
refresh), also when the command fails -- ``{"ok": false, "error": "...", ...}``
-- with the same exit code as without it. Without ``--json`` they draw rich
tables. Exit codes: 0 success (``health``: ready), 1 failure (``health``: not
ready; a refused token; an unknown actor), 2 usage or an unusable ``--config``,
3 no daemon running -- said in one line on stderr, never with a traceback.

What the daemon serves is read back typed, never by string key: the tree with
:func:`warden.control.read_snapshot` (each actor's status as its own class), the
portfolio with :func:`warden.control.portfolio_from_dict`, ``/readyz`` with
:meth:`warden.control.Readiness.from_json`. A tree that cannot be read (e.g. a
status type this CLI does not know) fails the command (exit 1); an unreadable
portfolio is drawn as unavailable, saying why. ``inspect`` shows the whole
status as JSON (:func:`supervision.status_to_dict`), its ``type`` included.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, TypedDict

if TYPE_CHECKING:  # rich, httpx and the actors load only when a command runs: `--help` is fast
    import httpx
    from rich.console import Console, RenderableType
    from rich.text import Text

    from supervision import ActorSnapshot
    from warden.control import ControlClient, Portfolio
    from warden.json_types import Json, JsonObject

    SubCommands = argparse._SubParsersAction[argparse.ArgumentParser]

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_NO_DAEMON = 3
CONFIRM_WITHIN_S = 5.0
STATUS_STYLES = {
    "running": "green",
    "starting": "yellow",
    "restarting": "yellow",
    "stopping": "yellow",
    "idle": "dim",
    "stopped": "dim",
    "failed": "bold red",
}
PS_FIELDS = (
    "name",
    "path",
    "kind",
    "status",
    "epoch",
    "restarts",
    "uptime_s",
    "mailbox",
    "processed",
)


# -- data ------------------------------------------------------------------------------


def _last_error(node: ActorSnapshot) -> str | None:
    failure = node.last_failure
    if failure is None:
        return None
    return f"{failure.type}: {failure.message}" if failure.message else failure.type


class PsRow(TypedDict):
    """One line of ``warden ps`` (and of ``--json``'s ``actors``): the node's
    :data:`PS_FIELDS`, in that order, then its last error. A TypedDict, not an attrs
    class: it is already the JSON object, and ``warden --help`` imports nothing."""

    name: str
    path: str
    kind: str
    status: str
    epoch: int
    restarts: int
    uptime_s: float | None
    mailbox: int
    processed: int
    last_error: str | None


def ps_rows(tree: ActorSnapshot) -> list[PsRow]:
    """One row per node of the ``GET /actors`` tree, depth first in start order."""
    return [
        PsRow(
            name=node.name,
            path=node.path,
            kind=node.kind,
            status=node.status,
            epoch=node.epoch,
            restarts=node.restarts,
            uptime_s=node.uptime_s,
            mailbox=node.mailbox,
            processed=node.processed,
            last_error=_last_error(node),
        )
        for node in tree.walk()
    ]


# -- rendering -------------------------------------------------------------------------


def _uptime(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    whole = int(seconds)
    if whole < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(whole, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{secs:02d}s"


def _yes(value: bool | None) -> str:
    return "?" if value is None else "yes" if value else "no"


def ps_table(tree: ActorSnapshot) -> RenderableType:
    from rich.table import Table  # noqa: PLC0415
    from rich.text import Text  # noqa: PLC0415

    table = Table(box=None, header_style="bold", pad_edge=False)
    for column in ("NAME", "STATUS", "EPOCH", "RESTARTS", "UPTIME", "MAILBOX", "PROCESSED"):
        table.add_column(column, justify="right" if column not in ("NAME", "STATUS") else "left")
    table.add_column("LAST ERROR", overflow="fold")
    for row in ps_rows(tree):
        depth = row["path"].count("/")
        table.add_row(
            Text("  " * depth + row["name"]),
            Text(row["status"], style=STATUS_STYLES.get(row["status"], "")),
            str(row["epoch"]),
            str(row["restarts"]),
            _uptime(row["uptime_s"]),
            str(row["mailbox"]),
            str(row["processed"]),
            Text(row["last_error"] or ""),  # text, never rich markup: it is an error message
        )
    return table


def _state_lines(text: Text, money: Portfolio) -> None:
    if money.ready:
        text.append("ready", style="green")
    else:
        text.append("NOT READY", style="bold yellow")
    text.append(
        f"   reconciled: execution {_yes(money.reconciled.execution)},"
        f" risk {_yes(money.reconciled.risk)}   "
    )
    if money.halted is True:
        text.append(f"HALTED: {money.halt_reason}", style="bold red")
    elif money.halted is False:
        text.append("trading", style="green")
    else:
        text.append("halt state unknown", style="yellow")
    for reason in money.reasons:
        text.append(f"\n  - {reason}", style="yellow")
    if money.stale:
        text.append(f"\n  (old summary from {', '.join(money.stale)}: busy or hung)")


def _known(value: int | None) -> str:
    return "?" if value is None else str(value)


def _money_lines(text: Text, money: Portfolio) -> None:
    from warden.status import dollars  # noqa: PLC0415

    exposure = money.exposure
    text.append(
        f"\nexposure {dollars(exposure.total)} / {dollars(exposure.max_total)}"
        f"   markets {_known(exposure.markets)} / {_known(exposure.max_markets)}"
    )
    for ticker, market in (exposure.by_market or {}).items():
        text.append(f"\n  {ticker} {dollars(market.amount)} / {dollars(market.limit)}")
    pnl = money.pnl
    text.append(
        f"\nrealised P&L today {dollars(pnl.today)}"
        f" (daily loss limit {dollars(pnl.max_daily_loss)})"
        f"   total {dollars(pnl.total)}"
    )
    positions = money.positions
    text.append(f"\npositions {'?' if positions is None else len(positions) or 'none'}")
    for ticker, held in (positions or {}).items():
        text.append(f"\n  {ticker} yes {held.yes} no {held.no} cash {dollars(held.cash)}")
    orders = money.open_orders
    text.append(f"\nopen orders {'?' if orders is None else len(orders)}")
    for order in orders or ():
        legs = ", ".join(f"{cid} {state}" for cid, state in order.legs.items())
        text.append(
            f"\n  {order.reservation} {order.event_ticker or '?'}"
            f" {dollars(order.amount)} {order.phase} ({legs})"
        )
    text.append(
        f"\nreservations held {_known(money.reservations.held)}"
        f" in doubt {_known(money.reservations.in_doubt)}"
    )


def portfolio_panel(money: Portfolio | str, tree: ActorSnapshot) -> RenderableType:
    """The ``GET /portfolio`` view -- or why it is unavailable (``money`` a string) --
    and risk's breaker from the tree, for a terminal."""
    from rich.panel import Panel  # noqa: PLC0415
    from rich.text import Text  # noqa: PLC0415

    from actors.risk import RiskStatus  # noqa: PLC0415

    text = Text()
    if isinstance(money, str):
        text.append(f"portfolio unavailable: {money}", style="yellow")
    else:
        _state_lines(text, money)
        _money_lines(text, money)
    risk = tree.status_of("risk", RiskStatus)
    state = risk.breaker.state if risk is not None else "?"
    opened = risk.breaker.times_opened if risk is not None else "?"
    text.append("\nbreaker ")
    text.append(state, style="green" if state == "closed" else "bold red")
    text.append(f" (opened {opened} times)")
    return Panel(text, title="portfolio", expand=False)


def _console() -> Console:
    from rich.console import Console  # noqa: PLC0415

    # Piped output keeps whole lines (no 80-column wrapping); a terminal uses its width.
    return Console(width=None if sys.stdout.isatty() else 160, highlight=False)


# -- commands --------------------------------------------------------------------------


class CommandFailed(Exception):
    """The command failed with ``exit_code``; ``document`` is its ``--json`` answer."""

    def __init__(self, message: str, exit_code: int, **details: Json) -> None:
        super().__init__(message)
        self.exit_code = exit_code
        self.details = details


def runtime_file(args: argparse.Namespace) -> Path:
    """``--runtime-file``, else the one in the ``daemon.runtime_dir`` of ``run``'s config."""
    if args.runtime_file is not None:
        return Path(args.runtime_file)
    from warden.config import ConfigError, resolve_run_config  # noqa: PLC0415
    from warden.control import RUNTIME_FILE  # noqa: PLC0415

    try:
        config = resolve_run_config(args.config)
    except ConfigError as error:
        raise CommandFailed(f"unusable config: {error}", EXIT_USAGE) from None
    return Path(config.daemon.runtime_dir) / RUNTIME_FILE


def _client(args: argparse.Namespace) -> ControlClient:
    from warden.control import ControlClient  # noqa: PLC0415

    if args.url:  # --url beats any runtime file, --config's included
        return ControlClient(args.url, args.token_file, timeout=args.timeout)
    return ControlClient.locate(
        url=None,
        token_file=args.token_file,
        runtime_file=runtime_file(args),
        timeout=args.timeout,
    )


def _json_of(response: httpx.Response) -> Json:
    try:
        body: Json = response.json()
    except ValueError:
        return {"error": response.text.strip() or f"HTTP {response.status_code}"}
    return body


def _failed(response: httpx.Response) -> CommandFailed:
    answer = _json_of(response)
    error = answer.get("error") if isinstance(answer, dict) else None
    return CommandFailed(
        f"{error or answer} (HTTP {response.status_code})",
        EXIT_FAILURE,
        http_status=response.status_code,
    )


def _emit(document: object) -> None:
    """Print ``document`` (JSON data: a :class:`PsRow` is one too) as indented JSON."""
    print(json.dumps(document, indent=2, sort_keys=True), flush=True)


def _snapshot(response: httpx.Response) -> ActorSnapshot:
    """The typed snapshot a 200 answer of ``/actors`` or ``/actors/{name}`` carries."""
    from warden.control import UnreadableSnapshot, read_snapshot  # noqa: PLC0415

    try:
        return read_snapshot(_json_of(response))
    except UnreadableSnapshot as error:
        raise CommandFailed(f"{error} (HTTP {response.status_code})", EXIT_FAILURE) from None


def _tree(client: ControlClient) -> ActorSnapshot:
    response = client.get("/actors")
    if response.status_code != 200:
        raise _failed(response)
    return _snapshot(response)


def _portfolio(client: ControlClient) -> tuple[JsonObject | None, Portfolio | str]:
    """``GET /portfolio``: what ``--json`` shows (the served view; ``None`` from a daemon
    that does not serve it; ``{"error"}`` if refused or unreadable) and what the panel
    draws (the typed view, or why it is unavailable)."""
    from warden.control import UnreadablePortfolio, portfolio_from_dict  # noqa: PLC0415

    response = client.get("/portfolio")
    if response.status_code == 404:
        return None, "not served by this daemon"
    answer = _json_of(response)
    if response.status_code != 200 or not isinstance(answer, dict):
        error = f"{answer} (HTTP {response.status_code})"
        return {"error": error}, error
    try:
        return answer, portfolio_from_dict(answer)
    except UnreadablePortfolio as failure:
        return {"error": str(failure)}, str(failure)


def cmd_ps(args: argparse.Namespace) -> int:
    with _client(args) as client:
        tree = _tree(client)
        served, money = _portfolio(client)
    if args.json:
        _emit({"actors": ps_rows(tree), "portfolio": served})
    else:
        console = _console()
        console.print(ps_table(tree))
        console.print(portfolio_panel(money, tree))
    return EXIT_OK


def cmd_inspect(args: argparse.Namespace) -> int:
    with _client(args) as client:
        response = client.get(f"/actors/{args.name}")
    if response.status_code != 200:
        raise _failed(response)
    node = _snapshot(response)
    from supervision import snapshot_to_dict, status_to_dict  # noqa: PLC0415

    if args.json:
        _emit(snapshot_to_dict(node))
        return EXIT_OK
    from rich.json import JSON  # noqa: PLC0415
    from rich.table import Table  # noqa: PLC0415
    from rich.text import Text  # noqa: PLC0415

    facts = Table(box=None, show_header=False, pad_edge=False)
    facts.add_column(style="bold")
    facts.add_column()
    for key in (*PS_FIELDS, "inflight_age_s", "stale_dropped", "dead_letters"):
        value = getattr(node, key)
        facts.add_row(key, _uptime(value) if key == "uptime_s" else Text(str(value)))
    facts.add_row("last_error", Text(_last_error(node) or "-"))
    facts.add_row("summary_stale", str(node.summary_stale))
    console = _console()
    console.print(facts)
    console.print("[bold]summary[/]")
    status = None if node.summary is None else status_to_dict(node.summary)
    console.print(JSON.from_data(status, sort_keys=True))
    return EXIT_OK


def _watch_frames(
    client: ControlClient, interval: float
) -> Iterator[tuple[ActorSnapshot, tuple[JsonObject | None, Portfolio | str]]]:
    """(tree, portfolio) every ``interval`` seconds; :class:`CommandFailed` when refused."""
    while True:
        yield _tree(client), _portfolio(client)
        time.sleep(interval)


def _watch_view(
    client: ControlClient, tree: ActorSnapshot, money: Portfolio | str
) -> RenderableType:
    from rich.console import Group  # noqa: PLC0415
    from rich.text import Text  # noqa: PLC0415

    header = Text(
        f"warden at {client.url}   {time.strftime('%H:%M:%S')}   Ctrl-C to quit", style="bold"
    )
    return Group(header, ps_table(tree), portfolio_panel(money, tree))


def _readiness_of(money: Portfolio | str) -> JsonObject | None:
    if isinstance(money, str):
        return None
    return {"ready": money.ready, "reasons": [*money.reasons]}


def cmd_watch(args: argparse.Namespace) -> int:
    from rich.live import Live  # noqa: PLC0415

    # Ctrl-C quits, whatever this process inherited: a SIGINT ignored by whoever
    # started it (a script's background job, some test runners) stays ignored in
    # Python, and watch would then draw for ever.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    with _client(args) as client:
        try:
            if args.json:  # one JSON object per refresh, one line each
                for tree, (served, money) in _watch_frames(client, args.interval):
                    frame = {"actors": ps_rows(tree), "ready": _readiness_of(money)}
                    print(json.dumps(frame | {"portfolio": served}), flush=True)
            with Live(console=_console(), auto_refresh=False) as live:
                for tree, (_served, money) in _watch_frames(client, args.interval):
                    live.update(_watch_view(client, tree, money), refresh=True)
        except KeyboardInterrupt:
            return EXIT_OK
    return EXIT_OK


def _await_halted(client: ControlClient, halted: bool) -> bool:
    """Poll risk's status until ``halted`` shows the wanted value; False after the deadline."""
    from actors.risk import RiskStatus  # noqa: PLC0415

    deadline = time.monotonic() + CONFIRM_WITHIN_S
    while time.monotonic() < deadline:
        response = client.get("/actors/risk")
        if response.status_code == 200:
            risk = _snapshot(response).status_of("risk", RiskStatus)
            if risk is not None and risk.halted is halted:
                return True
        time.sleep(0.1)
    return False


def _switch(args: argparse.Namespace, path: str, body: JsonObject | None) -> JsonObject:
    """POST the kill switch, then wait until risk shows it; the answer plus ``confirmed``."""
    with _client(args) as client:
        response = client.post(path, body)
        if response.status_code != 202:
            raise _failed(response)
        answer: JsonObject = response.json()
        answer["confirmed"] = _await_halted(client, halted=path == "/halt")
    answer["ok"] = answer["confirmed"]
    return answer


def _unconfirmed(args: argparse.Namespace, command: str, answer: JsonObject) -> int:
    if args.json:
        _emit(answer | {"error": f"delivered to risk but not confirmed within {CONFIRM_WITHIN_S}s"})
    else:
        print(f"warden {command}: delivered to risk but not confirmed within {CONFIRM_WITHIN_S}s")
    return EXIT_FAILURE


def cmd_halt(args: argparse.Namespace) -> int:
    answer = _switch(args, "/halt", {"reason": args.reason})
    if not answer["confirmed"]:
        return _unconfirmed(args, "halt", answer)
    if args.json:
        _emit(answer)
    else:  # the reason as the daemon recorded it (control characters removed, bounded)
        print(f"halted: {answer['reason']} (no new risk; working orders are being cancelled)")
    return EXIT_OK


def cmd_resume(args: argparse.Namespace) -> int:
    answer = _switch(args, "/resume", None)
    if not answer["confirmed"]:
        return _unconfirmed(args, "resume", answer)
    if args.json:
        _emit(answer)
    else:
        print("resumed: trading allowed again")
    return EXIT_OK


def cmd_restart(args: argparse.Namespace) -> int:
    with _client(args) as client:
        response = client.post(f"/actors/{args.name}/restart")
    if response.status_code != 200:
        raise _failed(response)
    answer: JsonObject = response.json()
    if args.json:
        _emit(answer | {"ok": True})
        return EXIT_OK
    audit = "" if answer.get("audited") else " (audit event NOT recorded: see the daemon's log)"
    print(f"restarted {answer['name']}: now epoch {answer['epoch']}{audit}")
    return EXIT_OK


def _field(body: Json, key: str) -> Json:
    """``body[key]`` of a JSON object that has it, else the whole body (to show as is)."""
    return body[key] if isinstance(body, dict) and key in body else body


def _object(body: Json) -> JsonObject:
    """``body`` if it is a JSON object, else an ``{"error"}`` saying what it was."""
    return body if isinstance(body, dict) else {"error": f"not a JSON object: {body!r}"}


def _not_ready_because(body: Json) -> list[str]:
    """The reasons of a ``/readyz`` answer, or its error when it is no readiness."""
    from warden.control import Readiness  # noqa: PLC0415

    try:
        return list(Readiness.from_json(body).reasons) or ["no reason given"]
    except ValueError:
        return [str(_field(body, "error"))]


def cmd_health(args: argparse.Namespace) -> int:
    with _client(args) as client:
        health, ready = client.get("/healthz"), client.get("/readyz")
    health_body, ready_body = _json_of(health), _json_of(ready)
    if args.json:
        _emit(
            {
                "ok": ready.status_code == 200,
                "healthz": {"code": health.status_code, **_object(health_body)},
                "readyz": {"code": ready.status_code, **_object(ready_body)},
            }
        )
    else:
        print(f"healthz {health.status_code} {_field(health_body, 'status')}")
        if ready.status_code == 200:
            print("readyz  200 ready")
        else:
            print(f"readyz  {ready.status_code} not ready")
            for reason in _not_ready_because(ready_body):
                print(f"  - {reason}")
    return EXIT_OK if ready.status_code == 200 else EXIT_FAILURE


# -- wiring ----------------------------------------------------------------------------


def _guarded(
    command: str, handler: Callable[[argparse.Namespace], int]
) -> Callable[[argparse.Namespace], int]:
    """A failure is one line on stderr (and, with ``--json``, a document on stdout)."""

    def run(args: argparse.Namespace) -> int:
        from warden.control import ControlError, NoDaemon  # noqa: PLC0415

        try:
            return handler(args)
        except NoDaemon as error:
            failure = CommandFailed(str(error), EXIT_NO_DAEMON, no_daemon=True)
        except ControlError as error:
            failure = CommandFailed(str(error), EXIT_FAILURE)
        except CommandFailed as error:
            failure = error
        print(f"warden {command}: {failure}", file=sys.stderr)
        if getattr(args, "json", False):
            _emit(
                {
                    "ok": False,
                    "command": command,
                    "error": str(failure),
                    "exit_code": failure.exit_code,
                    **failure.details,
                }
            )
        return failure.exit_code

    return run


def _common(parser: argparse.ArgumentParser) -> None:
    where = parser.add_argument_group("finding the daemon (first match wins)")
    where.add_argument("--url", help="control plane URL (with --token-file to mutate)")
    where.add_argument(
        "--runtime-file",
        type=Path,
        help="the daemon's runtime file (default: warden.json in --config's daemon.runtime_dir)",
    )
    where.add_argument(
        "--config",
        type=Path,
        help="the TOML config the daemon runs with (default: as `warden run`: "
        "config/default.toml, else built-in defaults)",
    )
    parser.add_argument("--token-file", type=Path, help="bearer token file (with --url)")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds per HTTP call")
    parser.add_argument("--json", action="store_true", help="machine-readable output")


def register(commands: SubCommands) -> None:
    """Add the control commands to ``warden``'s subparsers."""
    ps = commands.add_parser("ps", help="the actor tree, positions, orders, exposure, P&L")
    inspect = commands.add_parser("inspect", help="one actor's full snapshot and state summary")
    inspect.add_argument("name")
    watch = commands.add_parser("watch", help="live view of the tree and the portfolio")
    watch.add_argument("--interval", type=float, default=1.0, help="seconds between refreshes")
    halt = commands.add_parser("halt", help="kill switch on: no new risk, cancel working orders")
    halt.add_argument(
        "--reason",
        default="operator halt",
        help="recorded in the audit log (control characters removed, at most 200 characters)",
    )
    resume = commands.add_parser("resume", help="kill switch off")
    restart = commands.add_parser("restart", help="restart one actor (a new incarnation)")
    restart.add_argument("name")
    health = commands.add_parser("health", help="/healthz and /readyz; exit 0 only when ready")
    table: dict[str, tuple[argparse.ArgumentParser, Callable[[argparse.Namespace], int]]] = {
        "ps": (ps, cmd_ps),
        "inspect": (inspect, cmd_inspect),
        "watch": (watch, cmd_watch),
        "halt": (halt, cmd_halt),
        "resume": (resume, cmd_resume),
        "restart": (restart, cmd_restart),
        "health": (health, cmd_health),
    }
    for name, (parser, handler) in table.items():
        _common(parser)
        parser.set_defaults(handler=_guarded(name, handler))
