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
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # rich and httpx load only when a command runs: `warden --help` stays fast
    from rich.console import RenderableType

    from warden.control import ControlClient

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


def _last_error(node: dict[str, Any]) -> str | None:
    failure = node.get("last_failure")
    if not failure:
        return None
    return f"{failure['type']}: {failure['message']}" if failure.get("message") else failure["type"]


def ps_rows(tree: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per node of the ``GET /actors`` tree, depth first in start order."""
    rows: list[dict[str, Any]] = []

    def walk(node: dict[str, Any]) -> None:
        row = {field: node.get(field) for field in PS_FIELDS}
        row["last_error"] = _last_error(node)
        rows.append(row)
        for child in node.get("children", ()):
            walk(child)

    walk(tree)
    return rows


def _find(tree: dict[str, Any], name: str) -> dict[str, Any]:
    if tree.get("name") == name:
        return tree
    for child in tree.get("children", ()):
        found = _find(child, name)
        if found:
            return found
    return {}


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


def _cents(value: Any) -> str:
    if not isinstance(value, int) or isinstance(value, bool):
        return "?"
    return f"{'-' if value < 0 else ''}${abs(value) / 100:,.2f}"


def _yes(value: Any) -> str:
    return ("yes" if value else "no") if isinstance(value, bool) else "?"


def ps_table(tree: dict[str, Any]) -> RenderableType:
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


def _state_lines(text: Any, money: dict[str, Any]) -> None:
    if money.get("ready") is True:
        text.append("ready", style="green")
    else:
        text.append("NOT READY", style="bold yellow")
    reconciled = money.get("reconciled") or {}
    text.append(
        f"   reconciled: execution {_yes(reconciled.get('execution'))},"
        f" risk {_yes(reconciled.get('risk'))}   "
    )
    if money.get("halted") is True:
        text.append(f"HALTED: {money.get('halt_reason')}", style="bold red")
    elif money.get("halted") is False:
        text.append("trading", style="green")
    else:
        text.append("halt state unknown", style="yellow")
    for reason in money.get("reasons") or ():
        text.append(f"\n  - {reason}", style="yellow")
    if money.get("stale"):
        text.append(f"\n  (old summary from {', '.join(money['stale'])}: busy or hung)")


def _money_lines(text: Any, money: dict[str, Any]) -> None:
    exposure = money.get("exposure") or {}
    text.append(
        f"\nexposure {_cents(exposure.get('total_cents'))}"
        f" / {_cents(exposure.get('max_total_cents'))}"
        f"   markets {exposure.get('markets', '?')} / {exposure.get('max_markets', '?')}"
    )
    for ticker, market in (exposure.get("by_market") or {}).items():
        text.append(
            f"\n  {ticker} {_cents(market.get('cents'))} / {_cents(market.get('max_cents'))}"
        )
    pnl = money.get("pnl") or {}
    text.append(
        f"\nrealised P&L today {_cents(pnl.get('today_cents'))}"
        f" (daily loss limit {_cents(pnl.get('max_daily_loss_cents'))})"
        f"   total {_cents(pnl.get('total_cents'))}"
    )
    positions = money.get("positions")
    text.append(f"\npositions {'?' if positions is None else len(positions) or 'none'}")
    for ticker, held in (positions or {}).items():
        text.append(
            f"\n  {ticker} yes {held.get('yes', '?')} no {held.get('no', '?')}"
            f" cash {_cents(held.get('cash_cents'))}"
        )
    orders = money.get("open_orders")
    text.append(f"\nopen orders {'?' if orders is None else len(orders)}")
    for order in orders or ():
        legs = ", ".join(f"{cid} {state}" for cid, state in order.get("legs", {}).items())
        text.append(
            f"\n  {order.get('reservation')} {order.get('ticker') or '?'}"
            f" {_cents(order.get('amount_cents'))} {order.get('phase') or '?'} ({legs})"
        )
    reservations = money.get("reservations") or {}
    text.append(
        f"\nreservations held {reservations.get('held', '?')}"
        f" in doubt {reservations.get('in_doubt', '?')}"
    )


def portfolio_panel(money: dict[str, Any] | None, tree: dict[str, Any]) -> RenderableType:
    """The ``GET /portfolio`` view (and risk's breaker from the tree) for a terminal."""
    from rich.panel import Panel  # noqa: PLC0415
    from rich.text import Text  # noqa: PLC0415

    text = Text()
    if money is None or "error" in money:
        detail = "not served by this daemon" if money is None else money["error"]
        text.append(f"portfolio unavailable: {detail}", style="yellow")
    else:
        _state_lines(text, money)
        _money_lines(text, money)
    breaker = _find(tree, "risk").get("summary", {}).get("breaker", {})
    state = breaker.get("state", "?")
    text.append("\nbreaker ")
    text.append(state, style="green" if state == "closed" else "bold red")
    text.append(f" (opened {breaker.get('times_opened', '?')} times)")
    return Panel(text, title="portfolio", expand=False)


def _console() -> Any:
    from rich.console import Console  # noqa: PLC0415

    # Piped output keeps whole lines (no 80-column wrapping); a terminal uses its width.
    return Console(width=None if sys.stdout.isatty() else 160, highlight=False)


# -- commands --------------------------------------------------------------------------


class CommandFailed(Exception):
    """The command failed with ``exit_code``; ``document`` is its ``--json`` answer."""

    def __init__(self, message: str, exit_code: int, **details: Any) -> None:
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


def _json_of(response: Any) -> Any:
    try:
        return response.json()
    except ValueError:
        return {"error": response.text.strip() or f"HTTP {response.status_code}"}


def _failed(response: Any) -> CommandFailed:
    answer = _json_of(response)
    error = answer.get("error") if isinstance(answer, dict) else None
    return CommandFailed(
        f"{error or answer} (HTTP {response.status_code})",
        EXIT_FAILURE,
        http_status=response.status_code,
    )


def _emit(document: Any) -> None:
    print(json.dumps(document, indent=2, sort_keys=True), flush=True)


def _tree(client: ControlClient) -> dict[str, Any]:
    response = client.get("/actors")
    if response.status_code != 200:
        raise _failed(response)
    tree: dict[str, Any] = response.json()
    return tree


def _portfolio(client: ControlClient) -> dict[str, Any] | None:
    """``GET /portfolio``; None from a daemon that does not serve it, ``{"error"}`` if refused."""
    response = client.get("/portfolio")
    if response.status_code == 404:
        return None
    answer = _json_of(response)
    if response.status_code != 200 or not isinstance(answer, dict):
        return {"error": f"{_json_of(response)} (HTTP {response.status_code})"}
    return answer


def cmd_ps(args: argparse.Namespace) -> int:
    with _client(args) as client:
        tree = _tree(client)
        money = _portfolio(client)
    if args.json:
        _emit({"actors": ps_rows(tree), "portfolio": money})
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
    node = response.json()
    if args.json:
        _emit(node)
        return EXIT_OK
    from rich.json import JSON  # noqa: PLC0415
    from rich.table import Table  # noqa: PLC0415
    from rich.text import Text  # noqa: PLC0415

    facts = Table(box=None, show_header=False, pad_edge=False)
    facts.add_column(style="bold")
    facts.add_column()
    for key in (*PS_FIELDS, "inflight_age_s", "stale_dropped", "dead_letters"):
        value = node.get(key)
        facts.add_row(key, _uptime(value) if key == "uptime_s" else Text(str(value)))
    facts.add_row("last_error", Text(_last_error(node) or "-"))
    facts.add_row("summary_stale", str(node.get("summary_stale")))
    console = _console()
    console.print(facts)
    console.print("[bold]summary[/]")
    console.print(JSON.from_data(node.get("summary", {}), sort_keys=True))
    return EXIT_OK


def _watch_frames(client: ControlClient, interval: float) -> Iterator[tuple[Any, Any]]:
    """(tree, portfolio) every ``interval`` seconds; :class:`CommandFailed` when refused."""
    while True:
        yield _tree(client), _portfolio(client)
        time.sleep(interval)


def _watch_view(client: ControlClient, tree: dict[str, Any], money: Any) -> RenderableType:
    from rich.console import Group  # noqa: PLC0415
    from rich.text import Text  # noqa: PLC0415

    header = Text(
        f"warden at {client.url}   {time.strftime('%H:%M:%S')}   Ctrl-C to quit", style="bold"
    )
    return Group(header, ps_table(tree), portfolio_panel(money, tree))


def _readiness_of(money: Any) -> Any:
    if not isinstance(money, dict) or "ready" not in money:
        return None
    return {"ready": money["ready"], "reasons": money.get("reasons", [])}


def cmd_watch(args: argparse.Namespace) -> int:
    from rich.live import Live  # noqa: PLC0415

    with _client(args) as client:
        try:
            if args.json:  # one JSON object per refresh, one line each
                for tree, money in _watch_frames(client, args.interval):
                    frame = {"actors": ps_rows(tree), "ready": _readiness_of(money)}
                    print(json.dumps(frame | {"portfolio": money}), flush=True)
            with Live(console=_console(), auto_refresh=False) as live:
                for tree, money in _watch_frames(client, args.interval):
                    live.update(_watch_view(client, tree, money), refresh=True)
        except KeyboardInterrupt:
            return EXIT_OK
    return EXIT_OK


def _await_halted(client: ControlClient, halted: bool) -> bool:
    """Poll risk's summary until ``halted`` shows the wanted value; False after the deadline."""
    deadline = time.monotonic() + CONFIRM_WITHIN_S
    while time.monotonic() < deadline:
        response = client.get("/actors/risk")
        if response.status_code == 200 and response.json()["summary"].get("halted") is halted:
            return True
        time.sleep(0.1)
    return False


def _switch(args: argparse.Namespace, path: str, body: dict[str, Any] | None) -> dict[str, Any]:
    """POST the kill switch, then wait until risk shows it; the answer plus ``confirmed``."""
    with _client(args) as client:
        response = client.post(path, body)
        if response.status_code != 202:
            raise _failed(response)
        answer: dict[str, Any] = response.json()
        answer["confirmed"] = _await_halted(client, halted=path == "/halt")
    answer["ok"] = answer["confirmed"]
    return answer


def _unconfirmed(args: argparse.Namespace, command: str, answer: dict[str, Any]) -> int:
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
    answer = response.json()
    if args.json:
        _emit(answer | {"ok": True})
        return EXIT_OK
    audit = "" if answer.get("audited") else " (audit event NOT recorded: see the daemon's log)"
    print(f"restarted {answer['name']}: now epoch {answer['epoch']}{audit}")
    return EXIT_OK


def cmd_health(args: argparse.Namespace) -> int:
    with _client(args) as client:
        health, ready = client.get("/healthz"), client.get("/readyz")
    health_body, ready_body = _json_of(health), _json_of(ready)
    if args.json:
        _emit(
            {
                "ok": ready.status_code == 200,
                "healthz": {"code": health.status_code, **health_body},
                "readyz": {"code": ready.status_code, **ready_body},
            }
        )
    else:
        print(f"healthz {health.status_code} {health_body.get('status', health_body)}")
        if ready.status_code == 200:
            print("readyz  200 ready")
        else:
            reasons = ready_body.get("reasons") or [ready_body.get("error", "unknown")]
            print(f"readyz  {ready.status_code} not ready")
            for reason in reasons:
                print(f"  - {reason}")
    return EXIT_OK if ready.status_code == 200 else EXIT_FAILURE


# -- wiring ----------------------------------------------------------------------------


def _guarded(command: str, handler: Callable[[argparse.Namespace], int]) -> Callable[..., int]:
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


def register(commands: Any) -> None:
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
