r"""The evidence a run leaves: the histories of both sides and the final states.

- the venue's truth log (``GET /sim/truth?account=trader``): every accepted,
  rejected and cancelled order and every fill, in venue order;
- the daemon's ``history.jsonl`` (``warden run --chaos``): order
  invoke/ok/fail/unknown/resolved, reservations, restarts, reconciliation,
  halts, read ONLY through :func:`actors.history.read_line` into typed records
  (:data:`~actors.history.HistoryLine`); ``None`` when the daemon writes none.
  A line that is not JSON (torn by a SIGKILL mid-write) is counted; one that is
  JSON but not exactly a record (unknown kind, a field missing, renamed or of
  the wrong type) is kept aside as :class:`UnreadableLine`, reported, and makes
  every checker that reads lines of its kind ``unknown`` (:func:`history_gap`);
- the harness's own ``harness.jsonl``: faults injected and healed, each daemon
  process's lifetime (spawned, reaped; second daemons with their exit code and
  stderr), halts, and periodic polls of ``/actors`` and ``/readyz`` (with the
  reasons and failing checks of a 503);
- the ledger after the daemon stopped (read-only), as typed rows
  (:class:`~warden.chaos._ledger.LedgerRows`), and the venue's positions,
  balance and resting orders after quiescence;
- the venue's events (``GET /events?with_nested_markets=true``) as domain
  :class:`~actors.domain.Event`\ s (:attr:`Evidence.venue_events`): ``()`` when
  the venue lists none (the legacy mode answers 404: every market is its own
  event), ``None`` when they could not be read.

Money is exact: every price, fee, cash amount and count is a ``Decimal``
(dollars, contracts). The venue's truth records carry Kalshi's fixed-point
strings (``yes_price_dollars``, ``count_fp``, ``initial_count_fp``,
``fee_cost``), read with :func:`wire_decimal`, which refuses anything but a
fixed-point decimal string (a JSON number included) with ``ValueError``; the
config's money (limits, ``trader_cash``) is read with
:meth:`Evidence.config_money`.

Venue truth and the harness journal are plain JSON-able dicts (:data:`Entry`);
the journal's polls are read typed (:class:`Poll`, :meth:`Evidence.polls`) and so
is the venue's final state (:class:`VenueFinal`, :meth:`Evidence.venue`); a part
of the wrong shape raises ``KeyError`` / ``TypeError`` / ``ValueError``, which
makes the checker reading it ``unknown``. Checkers are tested on synthetic histories.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeAlias, TypeVar

import cattrs
import httpx
from attrs import field, frozen

from actors.domain import Event
from actors.history import KINDS, HistoryLine, MalformedLine, read_line
from supervision.decimal_json import FIXED_POINT, register_decimal_hooks
from warden.chaos._ledger import LedgerRows
from warden.json_types import Json, JsonObject

_Line = TypeVar("_Line", bound=HistoryLine)
#: one venue truth entry or harness journal line, as decoded: open JSON the checkers
#: index by ``kind`` and field (polls are read typed, :meth:`Evidence.polls`)
Entry: TypeAlias = dict[str, Any]  # Any: open JSON read by many checkers, key by key
#: characters of an unreadable line kept for the report
UNREADABLE_TEXT = 300
#: no detailed validation: a malformed poll raises a plain ``KeyError`` /
#: ``TypeError`` / ``ValueError``, which :func:`~warden.chaos.check_all` turns into
#: ``unknown`` for the checker that read it
_converter = cattrs.Converter(detailed_validation=False)
# open values (the actors' counters) are kept as journaled
_converter.register_structure_hook_func(lambda cls: cls is object, lambda value, _cls: value)
# money as a decimal string, exact both ways; a number is refused (TypeError)
register_decimal_hooks(_converter)

#: longest fixed-point text read (a ledger-sized amount is far shorter)
_MAX_FIXED_POINT = 40


def fixed_point(value: object, what: str) -> Decimal:
    """``value`` as an exact ``Decimal`` if it is a fixed-point decimal string
    (``"0.4200"``, ``"-3.00"``, ``"10000.00"``). Raises ``ValueError`` naming
    ``what`` for anything else: a JSON number (an integer-cent field of the old
    wire included), a bool, an exponent, NaN, whitespace."""
    if (
        not isinstance(value, str)
        or len(value) > _MAX_FIXED_POINT
        or FIXED_POINT.fullmatch(value) is None
    ):
        raise ValueError(f"{what} must be a fixed-point decimal string, got {value!r}")
    return Decimal(value)


def wire_decimal(record: Mapping[str, object], key: str) -> Decimal:
    """``record[key]`` read with :func:`fixed_point`. Raises ``KeyError`` when the
    field is missing, ``ValueError`` when it is not a fixed-point string."""
    return fixed_point(record[key], key)


def wire_price(record: Mapping[str, object]) -> Decimal:
    """The price in dollars the trader paid for its side of a venue order or fill
    (``yes_price_dollars`` or ``no_price_dollars``). Raises ``KeyError`` / ``ValueError``."""
    return wire_decimal(
        record, "yes_price_dollars" if record["side"] == "yes" else "no_price_dollars"
    )


@frozen(kw_only=True)
class Poll:
    """One poll of ``/actors`` and ``/readyz`` as the harness journals it (``kind``
    ``poll``). Every field but ``t`` may be missing from a journal line (a poll the
    daemon did not answer, a synthetic history): ``None`` or empty then, which is
    exactly what reading the missing key with ``.get`` gave -- never a value that
    says the daemon was up, ready or idle."""

    t: float
    #: when the harness asked (``t`` is when the answer was journaled); what the
    #: answer says held at some moment in between. Older journals lack it.
    asked_t: float | None = None
    pid: int | None = None
    up: bool | None = None
    ready: bool | None = None
    not_ready: tuple[str, ...] | None = None
    failing: tuple[str, ...] | None = None
    #: risk's kill switch as its status says (``None``: risk published none)
    halted: bool | None = None
    halt_reason: str | None = None
    #: whether that status was an old one (risk busy or hung when asked: the
    #: switch may have changed since); ``None`` in journals from before it
    risk_stale: bool | None = None
    epochs: dict[str, int] = field(factory=dict)
    statuses: dict[str, str] = field(factory=dict)
    mailboxes: dict[str, int] = field(factory=dict)
    #: risk's total exposure in dollars (journaled as a decimal string)
    exposure: Decimal | None = None
    held: int | None = None
    in_doubt: int | None = None
    in_flight: int | None = None
    #: counters as the actors publish them: a number, or a per-reason dict of them
    execution: dict[str, object] = field(factory=dict)
    feed: dict[str, object] = field(factory=dict)
    persistence_failures: int | None = None

    @classmethod
    def from_event(cls, event: Mapping[str, object]) -> Poll:
        """The poll a journal line holds; ``null`` sections read as empty. Raises
        ``KeyError`` without ``t``, ``TypeError`` / ``ValueError`` for a mistyped field."""
        present = {key: value for key, value in event.items() if value is not None}
        try:
            poll: Poll = _converter.structure(present, cls)
        except KeyError:
            raise
        except (AttributeError, cattrs.BaseValidationError) as error:  # a section of a wrong type
            raise TypeError(f"malformed poll {dict(event)!r}: {error}") from error
        return poll

    def to_event(self) -> dict[str, object]:
        """The journal line's fields but ``t`` (the journal stamps it), in field order."""
        data: dict[str, object] = _converter.unstructure(self)
        for key in ("not_ready", "failing"):
            value = data[key]
            data[key] = list(value) if isinstance(value, tuple | list) else None
        del data["t"]
        return data

    def brief(self, *keys: str) -> dict[str, object]:
        """Some fields as they were journaled (for a witness)."""
        data: dict[str, object] = _converter.unstructure(self)
        return {key: data[key] for key in keys}


@frozen
class UnreadableLine:
    """A daemon history line that is JSON but not a record: its 1-based line number,
    its ``kind`` (``None`` when it has none that is a string), why, and its start."""

    number: int
    kind: str | None
    why: str
    text: str

    def to_json(self) -> dict[str, object]:
        return {"line": self.number, "kind": self.kind, "why": self.why, "text": self.text}


@frozen
class DaemonHistory:
    """What :func:`read_history` found: the records in file order, the torn lines'
    count and the unreadable lines."""

    lines: tuple[HistoryLine, ...]
    torn: int = 0
    unreadable: tuple[UnreadableLine, ...] = ()


@frozen(kw_only=True)
class VenueFinal:
    """The venue's side after quiescence: net ``positions`` (yes minus no, ``Decimal``
    contracts) by ticker, the free ``balance`` and the ``reserved`` cash (``Decimal``
    dollars: the venue's ``balance_dollars`` and ``reserved_dollars``), and the
    ``resting`` orders as it sent them."""

    positions: dict[str, Decimal]
    balance: Decimal
    reserved: Decimal
    resting: tuple[object, ...]

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> VenueFinal:
        """Read :attr:`Evidence.venue_final` (as :func:`fetch_venue_final` builds it:
        ``positions`` of ``position_fp`` strings, ``balance_dollars``,
        ``reserved_dollars``, ``resting``). Raises ``KeyError`` for a missing part,
        ``TypeError`` / ``ValueError`` for a mistyped one (the checker is ``unknown``)."""
        positions, resting = data["positions"], data["resting"]
        if not isinstance(positions, dict) or not isinstance(resting, list | tuple):
            raise TypeError(f"venue final state is malformed: {dict(data)!r}")
        return cls(
            positions={str(ticker): wire_decimal(positions, ticker) for ticker in positions},
            balance=wire_decimal(data, "balance_dollars"),
            reserved=wire_decimal(data, "reserved_dollars"),
            resting=tuple(resting),
        )


@frozen
class Evidence:
    """What the checkers judge. ``daemon`` is ``None`` without a daemon history;
    ``ledger`` is ``None`` if the ledger could not be read; ``venue_final`` is empty
    if the venue's final state was not read (see :meth:`venue`); ``venue_events``
    is ``None`` if the venue's events were not read, ``()`` if it lists none
    (every market is then its own event)."""

    truth: tuple[Entry, ...]
    harness: tuple[Entry, ...]
    daemon: tuple[HistoryLine, ...] | None
    ledger: LedgerRows | None
    venue_final: Mapping[str, object]
    config: Mapping[str, object] = field(factory=dict)
    daemon_unreadable: tuple[UnreadableLine, ...] = ()
    venue_events: tuple[Event, ...] | None = None

    def venue(self) -> VenueFinal | None:
        """The venue's final state, typed; ``None`` when it was not read. Raises as
        :meth:`VenueFinal.from_json` if it is malformed."""
        return VenueFinal.from_json(self.venue_final) if self.venue_final else None

    def harness_of(self, kind: str) -> list[Entry]:
        return [event for event in self.harness if event.get("kind") == kind]

    def polls(self) -> list[Poll]:
        """The harness's polls, typed (:meth:`Poll.from_event`), in journal order."""
        return [Poll.from_event(event) for event in self.harness_of("poll")]

    def daemon_of(self, record: type[_Line]) -> list[_Line]:
        """The daemon history's lines of one record type, in file order."""
        return [line for line in self.daemon or () if isinstance(line, record)]

    def config_int(self, key: str) -> int | None:
        """The run's config value ``key`` if it is an int, else ``None`` (missing or
        mistyped: the checker that needs it answers ``unknown``, never a default)."""
        value = self.config.get(key)
        return value if type(value) is int else None

    def config_money(self, key: str) -> Decimal | None:
        """The run's config value ``key`` as exact dollars if it is a decimal-dollar
        string (``"50.00"``) or a ``Decimal``, else ``None``: an integer (a
        cents-era value), a float or a bool is as good as absent (as :meth:`config_int`)."""
        value = self.config.get(key)
        if isinstance(value, Decimal):
            return value if value.is_finite() else None
        try:
            return fixed_point(value, key)
        except ValueError:
            return None

    def config_float(self, key: str) -> float | None:
        """The run's config value ``key`` as a number, else ``None`` (as :meth:`config_int`)."""
        value = self.config.get(key)
        return float(value) if isinstance(value, int | float) and type(value) is not bool else None

    def truth_of(self, kind: str) -> list[Entry]:
        return [entry for entry in self.truth if entry.get("kind") == kind]


def history_gap(ev: Evidence, *kinds: str) -> str | None:
    """Why the daemon history cannot be trusted for lines of ``kinds``: some line of
    one of them (or of no known kind, which could be any) could not be read; else
    ``None``. A checker that reads those lines answers ``unknown`` with it."""
    bad = [line for line in ev.daemon_unreadable if line.kind in kinds or line.kind not in KINDS]
    if not bad:
        return None
    first = bad[0]
    return (
        f"{len(bad)} unreadable daemon history line(s) of kind(s) "
        f"{sorted({str(line.kind) for line in bad})}, e.g. line {first.number}: {first.why}"
    )


def read_history(path: Path) -> DaemonHistory | None:
    """The daemon history at ``path`` through :func:`actors.history.read_line`
    (``None`` when there is no file)."""
    try:
        text = path.read_text()
    except FileNotFoundError:
        return None
    lines: list[HistoryLine] = []
    unreadable: list[UnreadableLine] = []
    torn = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            value = json.loads(raw)
        except ValueError:
            torn += 1
            continue
        try:
            lines.append(read_line(value))
        except MalformedLine as error:
            kind = value.get("kind") if isinstance(value, dict) else None
            unreadable.append(
                UnreadableLine(
                    number,
                    kind if isinstance(kind, str) else None,
                    error.why,
                    raw[:UNREADABLE_TEXT],
                )
            )
    return DaemonHistory(tuple(lines), torn, tuple(unreadable))


def _object(value: Json, what: str) -> JsonObject:
    if not isinstance(value, dict):
        raise TypeError(f"{what}: not a JSON object: {value!r}")
    return value


def _array(value: Json, what: str) -> list[Json]:
    if not isinstance(value, list):
        raise TypeError(f"{what}: not a JSON array: {value!r}")
    return value


def fetch_truth(venue_url: str, *, timeout_s: float = 10.0) -> list[JsonObject]:
    """The trader's whole truth log, paged with ``after``, each fill named by its
    order's client order id (:func:`_fills_named`). Raises ``httpx.HTTPError``,
    ``ValueError`` (not JSON) or ``TypeError`` for a page not of the truth log's shape."""
    entries: list[JsonObject] = []
    after = 0
    with httpx.Client(base_url=venue_url, timeout=timeout_s, trust_env=False) as client:
        while True:
            answer = client.get(
                "/sim/truth", params={"after": after, "account": "trader", "limit": 1000}
            )
            answer.raise_for_status()
            page = _object(answer.json(), "/sim/truth")
            found = [
                _object(entry, "a truth entry") for entry in _array(page["entries"], "entries")
            ]
            entries.extend(found)
            if not found:
                return _fills_named(entries)
            next_after = page["next_after"]
            if not isinstance(next_after, int | str):
                raise TypeError(f"/sim/truth next_after: {next_after!r}")
            after = int(next_after)


def _fills_named(entries: list[JsonObject]) -> list[JsonObject]:
    """``entries`` with each ``fill`` record given ``client_order_id``: its order's, from
    that order's ``order_accepted`` record (``""`` for an order placed without one).
    Kalshi's fills name only their ``order_id`` (the simulator's truth records are its
    wire objects); the checkers join fills to the ledger's intents by client id."""
    client_ids: dict[str, Json] = {}
    for entry in entries:
        record = entry.get("record")
        if entry.get("kind") == "order_accepted" and isinstance(record, dict):
            client_ids[str(record.get("order_id"))] = record.get("client_order_id") or ""
    for entry in entries:
        record = entry.get("record")
        if entry.get("kind") == "fill" and isinstance(record, dict):
            record.setdefault("client_order_id", client_ids.get(str(record.get("order_id")), ""))
    return entries


def fetch_venue_final(
    venue_url: str, *, timeout_s: float = 10.0, auth: httpx.Auth | None = None
) -> JsonObject:
    """The trader's positions, balance and resting orders now: ``positions`` (ticker to
    its ``position_fp`` string), ``balance_dollars``, ``reserved_dollars`` (the
    simulator's ``GET /sim/accounts``: Kalshi's balance has no such field) and
    ``resting`` (every page), as the venue sent them (read by :meth:`VenueFinal.from_json`).
    Raises ``httpx.HTTPError``, ``ValueError`` (not JSON) or ``TypeError`` for an
    answer not of the venue API's shape. ``auth`` signs each request (a venue that
    checks Kalshi signatures; ``/sim/`` paths are never checked)."""
    with httpx.Client(base_url=venue_url, timeout=timeout_s, trust_env=False, auth=auth) as client:

        def get(path: str, **params: str) -> JsonObject:
            answer = client.get(path, params=params)
            answer.raise_for_status()
            return _object(answer.json(), path)

        def every(path: str, key: str, **params: str) -> list[Json]:
            """Every record of every page (Kalshi's cursor paging)."""
            records: list[Json] = []
            cursor = ""
            while True:
                page = get(f"/trade-api/v2{path}", limit="1000", cursor=cursor, **params)
                records.extend(_array(page[key], key))
                following = page.get("cursor") or ""
                if not following or following == cursor:
                    return records
                cursor = str(following)

        positions = every("/portfolio/positions", "market_positions")
        balance = get("/trade-api/v2/portfolio/balance")
        resting = every("/portfolio/orders", "orders", status="resting")
        accounts = _array(get("/sim/accounts")["accounts"], "accounts")
    trader = next(
        (entry for a in accounts if (entry := _object(a, "an account")).get("account") == "trader"),
        None,
    )
    if trader is None:
        raise TypeError("/sim/accounts: no 'trader' account")
    by_ticker: JsonObject = {}
    for position in positions:
        entry = _object(position, "a market position")
        by_ticker[str(entry["ticker"])] = entry["position_fp"]
    return {
        "positions": by_ticker,
        "balance_dollars": balance["balance_dollars"],
        "reserved_dollars": trader["reserved_dollars"],
        "resting": resting,
    }
