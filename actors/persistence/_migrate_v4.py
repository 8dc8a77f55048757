"""Schema version 4's data step: every version 3 reservation becomes a two-leg basket.

Runs inside :func:`~actors.persistence._schema.migrate`'s one transaction, after
version 4's statements renamed ``reservations`` to ``reservations_v3`` and
created ``reservations``, ``reservation_legs``, ``basket_progress`` and the
``orders.leg``/``orders.role`` columns (docs/baskets.md §5). Each version 3
reservation (a YES/NO complement of one market) becomes

- a reservation of the single event of its market (``event_ticker`` = ticker,
  not exclusive, ``purpose`` arbitrage), with the same amount, owner epoch,
  state and time, no completion (``complete_within_s`` 0,
  ``max_complete_attempts`` 0) and no outcome;
- two legs, 0 = BUY YES at ``yes_price``, 1 = BUY NO at ``no_price``, each of
  the row's count, ``max_price`` = price, payout $1, under the client order
  ids version 3 sent them with (:func:`legacy_client_order_id`, a frozen copy:
  this step must not change when the live id formula does). The amount is split
  exactly: leg 1 = ``no_price x count``, leg 0 = the rest.

``orders`` rows whose id is a legacy entry or unwind id of a version 3
reservation get their ``leg`` and ``role``; other rows keep NULL. Every stored
``reservation_changed`` payload is rewritten to the new reservation shape, and
every ``intent_recorded`` payload gains ``leg`` and ``role`` (the codec never
defaults a missing key): those of its reservation's legacy ids, else, for an
order no version 3 code could have sent, the version 3 convention (leg 0 = YES,
leg 1 = NO; a BUY is an entry, a SELL an unwind).

Anything that cannot be carried forward exactly raises :class:`Unmigratable`
naming the table, the row and the column (a decimal that is not one, an amount
smaller than ``no_price x count``, a row the new CHECKs refuse, a payload that
is not the JSON version 3 wrote): the whole transaction is rolled back and the
file stays as it was.
"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
from decimal import Decimal, localcontext
from pathlib import Path
from typing import Any

from actors.money import EXACT
from actors.persistence._decimals import DOLLAR_PLACES, from_text, to_text
from actors.persistence._migrate_v3 import WHAT_TO_DO, Unmigratable, rewrite_payloads

LEGACY_PAYOUT = "1.0000"
"""Version 3 traded only $1 contracts (its intents never set a payout)."""

_SIDES = ("yes", "no")  # leg 0, leg 1
_FIXED_POINT = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?")  # what version 3's codec wrote
_V3_RESERVATION_KEYS = frozenset(
    ("reservation_id", "ticker", "count", "yes_price", "no_price", "amount", "owner_epoch", "state")
)


def legacy_client_order_id(opportunity_id: str, side: str) -> str:
    """The client order id version 3 gave (opportunity, side): frozen copy of its
    ``actors.messages.client_order_id``. ``side`` is ``"yes"`` or ``"no"``."""
    digest = hashlib.sha256(f"{opportunity_id}:{side}".encode()).hexdigest()[:20]
    return f"w{digest}{side[0]}"


def legacy_order_ids(reservation_id: str) -> dict[str, tuple[int, str]]:
    """Every id version 3 could send for ``reservation_id`` -> (leg, role): the two
    entries and the two unwinds (``actors/execution/_outcome.py`` at version 3)."""
    ids: dict[str, tuple[int, str]] = {}
    for leg, side in enumerate(_SIDES):
        ids[legacy_client_order_id(reservation_id, side)] = (leg, "entry")
        ids[legacy_client_order_id(f"{reservation_id}:unwind", side)] = (leg, "unwind")
    return ids


class _Refused(ValueError):
    """A value that cannot be carried forward; the caller adds where it is."""

    def __init__(self, column: str, reason: str) -> None:
        super().__init__(f"{column} {reason}")
        self.column = column


def _split(
    count: Decimal, no_price: Decimal, amount: Decimal, column: str = "amount"
) -> tuple[str, str]:
    """The legs' amounts (leg 0, leg 1) as stored text; exact. Refuses naming
    ``column`` if leg 0's would be negative."""
    with localcontext(EXACT):
        no_amount = no_price * count
        yes_amount = amount - no_amount
    if yes_amount < 0:
        raise _Refused(
            column,
            f"= {amount} is less than no_price x count = {no_amount}: leg 0 (YES) would get"
            f" a negative amount {yes_amount}",
        )
    return to_text(yes_amount, DOLLAR_PLACES), to_text(no_amount, DOLLAR_PLACES)


def convert(conn: sqlite3.Connection, _path: Path) -> None:
    """Carry ``reservations_v3`` into the new tables, label the legacy orders, rewrite
    the payloads, drop ``reservations_v3``. Raises :class:`Unmigratable`."""
    labels: dict[str, tuple[int, str]] = {}
    rows = conn.execute(
        "SELECT reservation_id, ticker, count, yes_price, no_price, amount, owner_epoch,"
        " state, updated_at FROM reservations_v3 ORDER BY rowid"
    ).fetchall()
    for row in rows:
        _carry_reservation(conn, tuple(row))
        labels.update(legacy_order_ids(row[0]))
    for order_id, (leg, role) in labels.items():
        conn.execute(
            "UPDATE orders SET leg = ?, role = ? WHERE client_order_id = ?", (leg, role, order_id)
        )
    rewrite_payloads(conn, convert_payload)
    conn.execute("DROP TABLE reservations_v3")


def _stored(value: object, column: str) -> Decimal:
    try:
        return from_text(value)
    except ValueError as error:
        raise _Refused(column, f"= {value!r} ({type(value).__name__}): {error}") from None


def _text(value: object, column: str) -> None:
    if not isinstance(value, str):
        raise _Refused(column, f"= {value!r} ({type(value).__name__}) is not text")


def _carry_reservation(conn: sqlite3.Connection, row: tuple[Any, ...]) -> None:
    rid, ticker, count, yes_price, no_price, amount, owner_epoch, state, updated_at = row
    where = f"table reservations, row reservation_id={rid!r}"
    try:
        _text(rid, "reservation_id")
        _text(ticker, "ticker")
        yes_amount, no_amount = _split(
            _stored(count, "count"), _stored(no_price, "no_price"), _stored(amount, "amount")
        )
        _stored(yes_price, "yes_price")
    except _Refused as refused:
        raise Unmigratable(f"{where}: {refused}. {WHAT_TO_DO}") from None
    try:
        conn.execute(
            "INSERT INTO reservations (reservation_id, event_ticker, event_markets, exclusive,"
            " purpose, amount, complete_within_s, max_complete_attempts, owner_epoch, state,"
            " outcome, detail, created_at, updated_at)"
            " VALUES (?, ?, ?, 0, 'arbitrage', ?, 0.0, 0, ?, ?, NULL, '', ?, ?)",
            (rid, ticker, json.dumps([ticker]), amount, owner_epoch, state, updated_at, updated_at),
        )
        for leg, (side, price, leg_amount) in enumerate(
            (("yes", yes_price, yes_amount), ("no", no_price, no_amount))
        ):
            conn.execute(
                "INSERT INTO reservation_legs (reservation_id, leg, ticker, side, action, price,"
                " max_price, count, amount, payout, client_order_id)"
                " VALUES (?, ?, ?, ?, 'buy', ?, ?, ?, ?, ?, ?)",
                (
                    rid,
                    leg,
                    ticker,
                    side,
                    price,
                    price,
                    count,
                    leg_amount,
                    LEGACY_PAYOUT,
                    legacy_client_order_id(rid, side),
                ),
            )
    except sqlite3.IntegrityError as error:
        raise Unmigratable(
            f"{where}: the converted row is refused ({error}). {WHAT_TO_DO}"
        ) from None


_UNCHANGED = frozenset(
    ("order_updated", "fill_recorded", "audit_event", "venue_reconciled", "intents_abandoned")
)


def convert_payload(kind: object, payload: object) -> str | None:
    """The version 4 payload of a version 3 event, or ``None`` if ``kind`` keeps its
    shape. Raises ``ValueError``/``TypeError`` naming the key for anything else."""
    if kind in _UNCHANGED:
        return None
    if kind not in ("intent_recorded", "reservation_changed"):
        raise ValueError(f"unknown event kind {kind!r}")
    if not isinstance(payload, str):
        raise TypeError(f"payload is {type(payload).__name__}, not JSON text")
    try:
        decoded: Any = json.loads(payload)  # Any: JSON of any shape, checked below
    except ValueError as error:
        raise ValueError(f"payload is not JSON ({error})") from None
    if not isinstance(decoded, dict):
        raise TypeError(f"payload is not a {kind} object")
    if kind == "intent_recorded":
        _label_intent(decoded)
    else:
        decoded["reservation"] = _basket_reservation(decoded.get("reservation"))
    return json.dumps(decoded, allow_nan=False, sort_keys=True)


def _label_intent(decoded: dict[str, Any]) -> None:
    intent, opportunity_id = decoded.get("intent"), decoded.get("opportunity_id")
    if not isinstance(intent, dict) or not isinstance(opportunity_id, str):
        raise TypeError("payload is not an intent_recorded object")
    if "leg" in decoded or "role" in decoded:
        raise ValueError("payload already has leg/role: not written by version 3")
    order_id, side, action = (intent.get(key) for key in ("client_order_id", "side", "action"))
    if side not in _SIDES:
        raise ValueError(f"payload intent.side = {side!r} is not 'yes' or 'no'")
    if action not in ("buy", "sell"):
        raise ValueError(f"payload intent.action = {action!r} is not 'buy' or 'sell'")
    label = legacy_order_ids(opportunity_id).get(order_id) if isinstance(order_id, str) else None
    if label is None:  # not an id version 3 sent: its convention
        label = (_SIDES.index(side), "entry" if action == "buy" else "unwind")
    decoded["leg"], decoded["role"] = label


def _decimal(holder: dict[str, Any], key: str) -> Decimal:
    value = holder[key]
    if type(value) is not str or not _FIXED_POINT.fullmatch(value):
        raise _Refused(f"reservation.{key}", f"= {value!r} is not a decimal string")
    return Decimal(value)


def _basket_reservation(old: object) -> dict[str, Any]:
    """The version 4 form of a version 3 ``reservation`` object (the table rule, above)."""
    if not isinstance(old, dict) or set(old) != _V3_RESERVATION_KEYS:
        keys = sorted(old) if isinstance(old, dict) else type(old).__name__
        raise TypeError(f"payload reservation is not a version 3 reservation ({keys})")
    rid, ticker = old["reservation_id"], old["ticker"]
    for key in ("reservation_id", "ticker", "state"):
        if type(old[key]) is not str:
            raise TypeError(f"payload reservation.{key} = {old[key]!r} is not a string")
    epoch = old["owner_epoch"]
    if epoch is not None and type(epoch) is not int:
        raise TypeError(f"payload reservation.owner_epoch = {epoch!r} is not an int or null")
    try:
        count, no_price = _decimal(old, "count"), _decimal(old, "no_price")
        _decimal(old, "yes_price")
        amounts = _split(count, no_price, _decimal(old, "amount"), "reservation.amount")
    except _Refused as refused:
        raise ValueError(f"payload {refused}") from None
    legs = [
        {
            "index": leg,
            "ticker": ticker,
            "side": side,
            "action": "buy",
            "count": old["count"],
            "price": old[f"{side}_price"],
            "max_price": old[f"{side}_price"],
            "amount": amounts[leg],
            "client_order_id": legacy_client_order_id(rid, side),
            "payout": LEGACY_PAYOUT,
        }
        for leg, side in enumerate(_SIDES)
    ]
    return {
        "reservation_id": rid,
        "event": {
            "event_ticker": ticker,
            "markets": [ticker],
            "exclusive": False,
            "payout": LEGACY_PAYOUT,
        },
        "purpose": "arbitrage",
        "legs": legs,
        "amount": old["amount"],
        "complete_within_s": 0.0,
        "max_complete_attempts": 0,
        "owner_epoch": epoch,
        "state": old["state"],
        "outcome": None,
        "held": [],
        "missing": [],
        "detail": "",
    }
