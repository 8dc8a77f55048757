"""``warden order preview``: exactly what warden would send for one order, not sent.

Every input a signature depends on can be given on the command line, so the same
flags print the same bytes (Polymarket) or the same signed message (Kalshi):

- **polymarket**: the CLOB V2 order signed by the wallet of ``--key-file``
  (:mod:`actors.venues.polymarket._signing`): its EIP-712 digest (the venue's order
  id), its signature, the ``POST /order`` body serialised as the client serialises
  it, and, with ``--api-key-file``, the L2 headers with their HMAC (the passphrase
  shown redacted; the API secret is never shown).
- **kalshi**: the order goes through the real :class:`KalshiClient` (its body
  builder, its price-grid check, its signing auth flow) into a transport that keeps
  the request and sends nothing; printed are the V2 body and the ``KALSHI-ACCESS-*``
  headers, and the message the signature covers (``timestamp + POST + path``).
  RSA-PSS is salted: the signature differs on every run, the message does not;
  verify it with the key's public half.
- **sim**: the simulated venue speaks Kalshi's wire: the Kalshi preview, signed
  when ``--key-file`` and ``--key-id`` are given (a venue-sim started with
  ``--kalshi-public-key`` checks them), unsigned otherwise (as the embedded venue
  is traded).

Nothing touches the network. Exit 0 with the preview on stdout (a readable listing,
or one JSON object with ``--json``); exit 2 on bad input, with one line naming the
flag, no traceback, no key material. Key files are read owner-only by the adapters'
own loaders. No private key, API secret or passphrase is ever printed: the output
is checked for them before it is written (exit 1 if one would have been).
"""

from __future__ import annotations

import argparse
import json
import re
import secrets
import sys
import time
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Final, Literal, cast

__all__ = ["Refused", "cmd_preview", "preview_order", "register"]

EXIT_FAILURE = 1
EXIT_USAGE = 2

_PROG = "warden order preview"
_REDACTED = "<redacted>"
_OWNER_PLACEHOLDER = "<api key: give --api-key-file>"
_NOT_SENT = "preview only: nothing was sent"
_SALT_LIMIT = 2**40  # the official clients' salt range (see _signing._SALT_BITS)
_UINT256 = 2**256
_SIM_REST_URL = "http://127.0.0.1:8700/trade-api/v2"  # `warden venue-sim`'s default port

_POLYMARKET_ONLY: Final = (
    "token_id",
    "maker_amount",
    "taker_amount",
    "salt",
    "signature_type",
    "funder",
    "builder",
    "metadata",
    "neg_risk",
    "expiration",
    "order_type",
    "api_key_file",
    "l2_timestamp",
)
_KALSHI_ONLY: Final = (
    "key_id",
    "ticker",
    "action",
    "count",
    "price",
    "time_in_force",
    "environment",
    "url",
)


class Refused(ValueError):
    """Bad input: ``flag`` names the flag, ``reason`` what is wrong (never a secret)."""

    def __init__(self, flag: str, reason: str) -> None:
        super().__init__(f"{flag}: {reason}")
        self.flag = flag
        self.reason = reason


def _flag(dest: str) -> str:
    return "--" + dest.replace("_", "-")


# -- argparse types: a bad value exits 2 naming its flag (argparse says "argument --x");
# the value is not repeated: a key pasted into the wrong flag is not printed back.


def _uint(text: str) -> int:
    if not re.fullmatch(r"[0-9]{1,78}", text) or int(text) >= _UINT256:
        raise argparse.ArgumentTypeError("not a non-negative decimal integer (uint256)")
    return int(text)


def _bytes32(text: str) -> str:
    if not re.fullmatch(r"0x[0-9a-fA-F]{64}", text):
        raise argparse.ArgumentTypeError("not 0x and 64 hex digits (bytes32)")
    return text


def _address(text: str) -> str:
    from actors.venues.polymarket._eth import is_address, to_checksum_address  # noqa: PLC0415 - fast --help

    if not re.fullmatch(r"0x[0-9a-fA-F]{40}", text) or not is_address(text):
        raise argparse.ArgumentTypeError(
            "not an address (0x and 40 hex digits; in mixed case, its EIP-55 checksum)"
        )
    return str(to_checksum_address(text))


def _decimal(text: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite() or not re.fullmatch(r"[0-9]+(\.[0-9]+)?", text):
        raise argparse.ArgumentTypeError("not a plain decimal such as 0.42")
    return value


# -- polymarket ------------------------------------------------------------------------


def _polymarket_flags(args: argparse.Namespace) -> tuple[Literal["BUY", "SELL"], int]:
    """The order's side and signature type, once the flags agree with each other."""
    _require(args, "key_file", "token_id", "side", "maker_amount", "taker_amount")
    side = args.side.upper()
    if side not in ("BUY", "SELL"):
        raise Refused("--side", f"{args.side!r} is not BUY or SELL for polymarket")
    if args.client_order_id is not None and args.salt is not None:
        raise Refused("--salt", "give --salt or --client-order-id (its salt), not both")
    signature_type = args.signature_type if args.signature_type is not None else 0
    if signature_type == 0 and args.funder is not None:
        raise Refused("--funder", "signature type 0 (EOA) spends the wallet's own funds: omit it")
    if signature_type in (1, 2) and args.funder is None:
        raise Refused("--funder", f"signature type {signature_type} needs the proxy/Safe address")
    return cast(Literal["BUY", "SELL"], side), int(signature_type)


def _polymarket_secrets(args: argparse.Namespace) -> tuple[Any, Any]:
    """The wallet of ``--key-file`` and the credentials of ``--api-key-file`` (or None),
    read by the adapter's owner-only loaders."""
    from actors.venues.polymarket._keys import (  # noqa: PLC0415 - fast --help
        PolymarketKeyError,
        load_api_credentials,
        load_wallet_key,
    )

    try:
        wallet = load_wallet_key(args.key_file)
    except PolymarketKeyError as error:
        raise Refused("--key-file", error.reason) from None
    if args.api_key_file is None:
        return wallet, None
    try:
        return wallet, load_api_credentials(args.api_key_file)
    except PolymarketKeyError as error:
        raise Refused("--api-key-file", error.reason) from None


def _polymarket_salt(args: argparse.Namespace) -> tuple[int, str]:
    """``--salt``; else the salt warden's client derives from ``--client-order-id``;
    else a random one in the official clients' range. And where it came from."""
    from actors.venues.polymarket._signing import deterministic_salt  # noqa: PLC0415 - fast --help

    if args.salt is not None:
        return int(args.salt), "--salt"
    if args.client_order_id is not None:
        try:
            salt = deterministic_salt(args.client_order_id)
        except ValueError:
            raise Refused("--client-order-id", "must be a non-empty string") from None
        return salt, "--client-order-id (as warden's client derives it)"
    return secrets.randbelow(_SALT_LIMIT), "random (give --salt to repeat it)"


_ORDER_FLAGS: Final = {
    "salt": "--salt",
    "maker": "--funder",
    "token_id": "--token-id",
    "maker_amount": "--maker-amount",
    "taker_amount": "--taker-amount",
    "timestamp_ms": "--timestamp",
    "metadata": "--metadata",
    "builder": "--builder",
    "expiration": "--expiration",
}
"""``OrderV2`` field -> the flag that gave it."""


def _polymarket_order(
    args: argparse.Namespace, side: str, signature_type: int, signer: str, salt: int
) -> Any:
    """The unsigned ``OrderV2`` of the flags; a field it refuses is named by its flag."""
    from actors.errors import InvalidFieldError  # noqa: PLC0415 - fast --help
    from actors.venues.polymarket._signing import BUY, SELL, ZERO_BYTES32, OrderV2  # noqa: PLC0415 - fast --help

    timestamp_ms = args.timestamp if args.timestamp is not None else time.time_ns() // 10**6
    try:
        return OrderV2(
            salt=salt,
            maker=args.funder or signer,
            signer=signer,
            token_id=args.token_id,
            maker_amount=args.maker_amount,
            taker_amount=args.taker_amount,
            side=BUY if side == "BUY" else SELL,
            signature_type=signature_type,
            timestamp_ms=timestamp_ms,
            metadata=args.metadata or ZERO_BYTES32,
            builder=args.builder or ZERO_BYTES32,
            expiration=args.expiration or 0,
        )
    except InvalidFieldError as error:
        raise Refused(_ORDER_FLAGS.get(str(error.field), "order"), error.rule) from None


def _polymarket_preview(args: argparse.Namespace) -> tuple[dict[str, Any], list[str]]:
    """The Polymarket preview and the secrets that must not appear in its output."""
    from actors.venues.polymarket._amounts import amounts_price  # noqa: PLC0415 - fast --help
    from actors.venues.polymarket._signing import (  # noqa: PLC0415 - fast --help
        POLY_PASSPHRASE,
        POLYGON,
        exchange_address,
        l2_headers,
        order_json,
        sign_order,
    )
    from warden.venue_target import POLYMARKET_CLOB_URL  # noqa: PLC0415 - fast --help

    side, signature_type = _polymarket_flags(args)
    wallet, creds = _polymarket_secrets(args)
    salt, salt_from = _polymarket_salt(args)
    signer = str(wallet.address)
    order = _polymarket_order(args, side, signature_type, signer, salt)
    neg_risk = bool(args.neg_risk)
    signed = sign_order(order, wallet, neg_risk=neg_risk, chain_id=POLYGON)
    try:
        body = order_json(
            signed,
            owner_api_key=creds.api_key if creds is not None else _OWNER_PLACEHOLDER,
            order_type=cast(Literal["FAK", "FOK", "GTC", "GTD"], args.order_type or "FAK"),
        )
    except ValueError as error:
        raise Refused("--order-type/--expiration", str(error)) from None
    # The client's bytes: json.dumps(..., separators=(",", ":")) of this very object
    # (PolymarketClient._order_body); the L2 HMAC covers exactly these.
    body_text = json.dumps(body, separators=(",", ":"))
    headers: dict[str, str] | None = None
    notes = [_NOT_SENT, f"salt from {salt_from}"]
    notes.append("order_id is the EIP-712 digest of the order: the venue's order id")
    notes.append("expiration is sent but not signed; every other order field is signed")
    if creds is None:
        notes.append("no --api-key-file: body.owner is a placeholder and no L2 headers are shown")
    else:
        l2_timestamp = (
            args.l2_timestamp if args.l2_timestamp is not None else order.timestamp_ms // 1000
        )
        headers = {
            "Content-Type": "application/json",
            **l2_headers(creds, signer, "POST", "/order", body_text, l2_timestamp),
            POLY_PASSPHRASE: _REDACTED,
        }
        notes.append(
            "headers: POLY_PASSPHRASE is redacted here (sent as is); the API secret only "
            "keys the HMAC in POLY_SIGNATURE and is never shown"
        )
    try:
        price: str | None = str(amounts_price(side, order.maker_amount, order.taker_amount))
    except ValueError:
        price = None  # amounts of no exact price (zero, or a non-terminating ratio)
    preview: dict[str, Any] = {
        "venue": "polymarket",
        "sent": False,
        "method": "POST",
        "url": f"{POLYMARKET_CLOB_URL}/order",
        "path": "/order",
        "exchange": exchange_address(neg_risk=neg_risk),
        "neg_risk": neg_risk,
        "chain_id": POLYGON,
        "signer": signer,
        "maker": order.maker,
        "order_id": signed.digest,
        "signature": signed.signature,
        "price": price,
        "body": body,
        "body_text": body_text,
        "headers": headers,
        "notes": notes,
    }
    key_hex = bytes(wallet.key).hex()
    hidden = [key_hex] + ([creds.secret, creds.passphrase] if creds is not None else [])
    return preview, hidden


# -- kalshi and the simulated venue ----------------------------------------------------


class _Captured(Exception):
    """Raised by the preview transport with the request the client would have sent."""

    def __init__(self, request: Any) -> None:
        super().__init__("captured")
        self.request = request


def _kalshi_request(intent: Any, rest_url: str, signer: Any, time_in_force: str) -> Any:
    """The request :class:`KalshiClient` makes for ``intent`` (signed by ``signer``, if
    any), caught in its transport before anything leaves. Raises ``InvalidFieldError``
    for a price off the client's grid (Kalshi's ``linear_cent`` until markets are read)."""
    import httpx  # noqa: PLC0415 - fast --help
    import trio  # noqa: PLC0415 - fast --help

    from actors.venues._trading import Deadlines, RateLimit  # noqa: PLC0415 - fast --help
    from actors.venues.kalshi._client import KalshiClient  # noqa: PLC0415 - fast --help

    class Settings:  # the ClientSettings the client is opened with
        def __init__(self) -> None:
            self.rest_url = rest_url
            self.deadlines = Deadlines()
            self.rate_limits = {"*": RateLimit(per_second=1.0, burst=1)}

    def keep(request: httpx.Request) -> httpx.Response:
        raise _Captured(request)

    async def build() -> Any:
        async with KalshiClient(
            Settings(), signer=signer, transport=httpx.MockTransport(keep)
        ) as client:
            client.grid(intent.ticker).check(intent.price, "price")
            try:
                await client.create_order(intent, time_in_force=time_in_force)
            except _Captured as captured:
                return captured.request
        raise AssertionError("the Kalshi client answered without making its request")

    return trio.run(build)


def _kalshi_url(args: argparse.Namespace) -> str:
    """The REST root the request goes to (the signed path does not depend on it)."""
    from warden.venue_target import KALSHI_ENVIRONMENTS  # noqa: PLC0415 - fast --help

    if args.url is not None:
        if args.environment is not None:
            raise Refused("--url", "give --url or --environment, not both")
        if not re.fullmatch(r"https?://[^/?#\s]+", args.url):
            raise Refused("--url", f"{args.url!r} is not http(s)://host[:port]")
        return str(args.url) + "/trade-api/v2"
    if args.venue == "sim":
        if args.environment is not None:
            raise Refused("--environment", "is Kalshi's; the simulated venue takes --url")
        return _SIM_REST_URL
    return KALSHI_ENVIRONMENTS[args.environment or "demo"].rest_url


_INTENT_FLAGS: Final = {
    "client_order_id": "--client-order-id",
    "ticker": "--ticker",
    "price": "--price",
    "count": "--count",
}
"""``OrderIntent`` field -> the flag that gave it."""


def _kalshi_intent(args: argparse.Namespace) -> Any:
    """The ``OrderIntent`` of the flags; a field it refuses is named by its flag."""
    from actors.domain import Action, OrderIntent, Side  # noqa: PLC0415 - fast --help
    from actors.errors import InvalidFieldError  # noqa: PLC0415 - fast --help

    _require(args, "ticker", "side", "action", "count", "price", "client_order_id")
    side, action = args.side.lower(), args.action.lower()
    if side not in ("yes", "no"):
        raise Refused("--side", f"{args.side!r} is not yes or no for --venue {args.venue}")
    if action not in ("buy", "sell"):
        raise Refused("--action", f"{args.action!r} is not buy or sell")
    try:
        return OrderIntent(
            client_order_id=args.client_order_id,
            ticker=args.ticker,
            side=Side(side),
            action=Action(action),
            price=args.price,
            count=args.count,
        )
    except InvalidFieldError as error:
        raise Refused(_INTENT_FLAGS.get(str(error.field), "order"), error.rule) from None


def _kalshi_signer(args: argparse.Namespace, timestamp_ms: int) -> Any:
    """The signer of ``--key-id`` with the key of ``--key-file`` at ``timestamp_ms``;
    None for an unsigned venue-sim preview (neither flag given)."""
    from actors.venues.kalshi._signing import (  # noqa: PLC0415 - fast --help
        KalshiKeyError,
        KalshiSigner,
        load_private_key,
    )

    if args.venue == "sim" and args.key_file is None and args.key_id is None:
        return None
    _require(args, "key_file", "key_id")
    try:
        key = load_private_key(args.key_file)
    except KalshiKeyError as error:
        raise Refused("--key-file", error.reason) from None
    try:
        return KalshiSigner(args.key_id, key, clock_ms=lambda: timestamp_ms)
    except ValueError:
        raise Refused("--key-id", "must be printable, without surrounding spaces") from None


def _book_note(intent: Any, body: Mapping[str, Any]) -> str:
    """How the intent became the V2 body: Kalshi's V2 orders are on the YES book."""
    return (
        f"{intent.action.value} {intent.side.value} at {intent.price} is side "
        f"{body.get('side')!r} at YES price {body.get('price')} (V2 orders are on the YES book)"
    )


def _kalshi_preview(args: argparse.Namespace) -> tuple[dict[str, Any], list[str]]:
    """The Kalshi (or venue-sim) preview. Nothing secret can be in it (an RSA-PSS
    signature reveals nothing of the key): no text to hide."""
    from actors.errors import InvalidFieldError, InvalidOrder  # noqa: PLC0415 - fast --help
    from actors.venues.kalshi._signing import ACCESS_SIGNATURE, ACCESS_TIMESTAMP  # noqa: PLC0415 - fast --help

    intent = _kalshi_intent(args)
    rest_url = _kalshi_url(args)
    timestamp_ms = args.timestamp if args.timestamp is not None else time.time_ns() // 10**6
    signer = _kalshi_signer(args, timestamp_ms)
    try:
        request = _kalshi_request(
            intent, rest_url, signer, args.time_in_force or "immediate_or_cancel"
        )
    except InvalidFieldError as error:
        raise Refused("--price", f"{error.value} {error.rule}") from None
    except InvalidOrder as error:
        raise Refused("--price/--count", str(error)) from None
    body_text = request.content.decode()
    path = request.url.raw_path.decode("ascii")
    book = _book_note(intent, json.loads(body_text))
    notes = [_NOT_SENT, book]
    preview: dict[str, Any] = {
        "venue": args.venue,
        "sent": False,
        "method": request.method,
        "url": str(request.url),
        "path": path,
        "body": json.loads(body_text),
        "body_text": body_text,
        "headers": None,
    }
    if signer is not None:
        preview["headers"] = {  # as written on the wire (httpx keeps the names' case raw)
            name.decode("ascii"): value.decode("ascii")
            for name, value in request.headers.raw
            if name.lower() == b"content-type" or name.lower().startswith(b"kalshi-access-")
        }
        preview["signed_message"] = f"{request.headers[ACCESS_TIMESTAMP]}{request.method}{path}"
        preview["signature"] = request.headers[ACCESS_SIGNATURE]
        notes.append(
            "KALSHI-ACCESS-SIGNATURE is RSA-PSS (SHA-256, salt = digest length), which is "
            "randomised: it differs on every run; signed_message does not, and the "
            "signature verifies against it with the key's public half"
        )
    else:
        notes.append("unsigned, as the embedded simulated venue is traded (no --key-file/--key-id)")
    if args.venue == "sim":
        notes.append("the simulated venue speaks Kalshi's wire: this is the Kalshi request")
    preview["notes"] = notes
    return preview, []


# -- the command -----------------------------------------------------------------------


def _require(args: argparse.Namespace, *names: str) -> None:
    for name in names:
        if getattr(args, name) is None:
            raise Refused(_flag(name), f"required for --venue {args.venue}")


def _foreign_flags(args: argparse.Namespace) -> None:
    """Refuse a flag of the other venue: silently ignoring it would preview another order."""
    foreign = _KALSHI_ONLY if args.venue == "polymarket" else _POLYMARKET_ONLY
    for name in foreign:
        if getattr(args, name) not in (None, False):
            raise Refused(_flag(name), f"is not a flag of --venue {args.venue}")


def _text(preview: Mapping[str, Any]) -> str:
    """The readable listing: one ``name  value`` line each, headers and notes indented."""
    lines = [f"order preview: {preview['venue']} (NOT SENT)"]
    for name, value in preview.items():
        if name in ("venue", "sent", "body"):
            continue
        label = name.replace("_", " ")
        if isinstance(value, dict):
            lines.append(f"  {label}:")
            lines.extend(f"    {key}: {item}" for key, item in value.items())
        elif isinstance(value, list):
            lines.append(f"  {label}:")
            lines.extend(f"    - {item}" for item in value)
        elif value is None:
            lines.append(f"  {label:<15} (none)")
        elif isinstance(value, bool):
            lines.append(f"  {label:<15} {'yes' if value else 'no'}")
        else:
            lines.append(f"  {label:<15} {value}")
    return "\n".join(lines)


def preview_order(args: argparse.Namespace) -> tuple[dict[str, Any], list[str]]:
    """The preview of ``args`` (see the module docstring) and the texts its output must
    not contain; raises :class:`Refused` naming the flag of a bad input."""
    _foreign_flags(args)
    if args.venue == "polymarket":
        return _polymarket_preview(args)
    return _kalshi_preview(args)


def cmd_preview(args: argparse.Namespace) -> int:
    """Print the preview (exit 0), or one line naming the bad flag (exit 2)."""
    try:
        preview, hidden = preview_order(args)
    except Refused as refusal:
        print(f"{_PROG}: {refusal}", file=sys.stderr)
        return EXIT_USAGE
    output = json.dumps(preview, indent=2) if args.json else _text(preview)
    if any(secret and secret.lower() in output.lower() for secret in hidden):
        print(f"{_PROG}: refused to print: the output would hold a secret", file=sys.stderr)
        return EXIT_FAILURE
    print(output)
    return 0


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``order`` (with ``preview``) to the ``warden`` subcommands."""
    order = commands.add_parser("order", help="orders as warden would send them")
    sub = order.add_subparsers(dest="order_command", metavar="COMMAND", required=True)
    preview = sub.add_parser(
        "preview",
        help="print exactly what would be sent for an order (body, headers, signature)",
        description=__doc__.splitlines()[0] if __doc__ else None,
    )
    preview.add_argument("--venue", required=True, choices=("polymarket", "kalshi", "sim"))
    preview.add_argument("--json", action="store_true", help="one JSON object")
    both = preview.add_argument_group("every venue")
    both.add_argument("--key-file", type=Path, help="owner-only key file (wallet key / RSA PEM)")
    both.add_argument("--side", help="polymarket: BUY or SELL; kalshi, sim: yes or no")
    both.add_argument("--timestamp", type=_uint, help="ms since the epoch (default: now)")
    both.add_argument(
        "--client-order-id",
        help="kalshi, sim: the order's id; polymarket: salt as warden derives it",
    )
    poly = preview.add_argument_group("polymarket (CLOB V2)")
    poly.add_argument("--token-id", help="the outcome token's decimal id")
    poly.add_argument("--maker-amount", type=_uint, help="6-decimal base units the maker gives")
    poly.add_argument("--taker-amount", type=_uint, help="6-decimal base units the maker gets")
    poly.add_argument("--salt", type=_uint, help="the order's salt (default: random)")
    poly.add_argument(
        "--signature-type", type=int, choices=(0, 1, 2), help="0 EOA (default), 1 proxy, 2 Safe"
    )
    poly.add_argument("--funder", type=_address, help="types 1, 2: the maker holding the funds")
    poly.add_argument("--builder", type=_bytes32, help="builder code, bytes32 (default: zero)")
    poly.add_argument("--metadata", type=_bytes32, help="bytes32 (default: zero)")
    poly.add_argument("--neg-risk", action="store_true", help="the Neg-Risk CTF Exchange V2")
    poly.add_argument("--expiration", type=_uint, help="unix s, GTD only; sent, not signed")
    poly.add_argument(
        "--order-type", choices=("FAK", "GTC", "GTD", "FOK"), help="default FAK (warden's IOC)"
    )
    poly.add_argument("--api-key-file", type=Path, help="owner-only CLOB API credentials JSON")
    poly.add_argument(
        "--l2-timestamp", type=_uint, help="POLY_TIMESTAMP, unix s (default: --timestamp / 1000)"
    )
    kalshi = preview.add_argument_group("kalshi, sim (Trade API v2)")
    kalshi.add_argument("--key-id", help="the API key's Key ID")
    kalshi.add_argument("--ticker", help="the market's ticker")
    kalshi.add_argument("--action", help="buy or sell")
    kalshi.add_argument("--count", type=_decimal, help="contracts, at most 2 decimals")
    kalshi.add_argument("--price", type=_decimal, help="dollars, the price of --side")
    kalshi.add_argument(
        "--time-in-force",
        choices=("immediate_or_cancel", "good_till_canceled", "fill_or_kill"),
        help="default immediate_or_cancel (what warden sends)",
    )
    kalshi.add_argument("--environment", choices=("demo", "production"), help="default demo")
    kalshi.add_argument("--url", help="a venue speaking Kalshi's wire: http(s)://host[:port]")
    preview.set_defaults(handler=cmd_preview)
