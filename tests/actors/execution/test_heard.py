"""What execution keeps of the private channel (actors.execution._heard): fills counted
once per trade id, and only trusted while the channel stayed on one connection."""

from __future__ import annotations

from decimal import Decimal

import attrs
import trio

from actors.domain import Action, Fill, Side
from actors.execution._heard import KEEP, Heard
from actors.venues import VenueOrder
from actors.venues._trading import ChannelDown, ChannelUp, FillHeard, OrderHeard

ORDER = VenueOrder(
    "o-1", "cid-1", "SIM-001", Side.YES, Action.BUY, "executed",
    Decimal("0.42"), Decimal(5), Decimal(5), Decimal(0),
)  # fmt: skip


def fill(fill_id: str, count: str, cid: str = "venue-o-1") -> FillHeard:
    return FillHeard(
        "o-1",
        Fill(fill_id, cid, "SIM-001", Side.YES, Action.BUY, Decimal("0.42"), Decimal(count)),
    )


async def test_fills_add_up_once_each_and_are_named_by_the_orders_client_id() -> None:
    heard = Heard()
    heard(ChannelUp(1))
    session = heard.session()
    for event in (fill("t1", "2"), fill("t1", "2"), fill("t2", "3")):  # t1 repeated
        heard(event)
    fills = await heard.fills_of(ORDER, session, timeout=1)
    assert fills is not None
    assert [(f.fill_id, f.count, f.client_order_id) for f in fills] == [
        ("t1", Decimal(2), "cid-1"),
        ("t2", Decimal(3), "cid-1"),
    ]


async def test_fills_still_coming_are_waited_for() -> None:
    heard = Heard()
    heard(ChannelUp(1))
    heard(fill("t1", "2"))
    got: list[object] = []

    async def wait() -> None:
        got.append(await heard.fills_of(ORDER, 1, timeout=5))

    async with trio.open_nursery() as nursery:
        nursery.start_soon(wait)
        await trio.sleep(0.05)
        assert got == []
        heard(fill("t2", "3"))
    assert got != [None]
    assert len(got[0]) == 2  # type: ignore[arg-type]


async def test_no_fills_are_trusted_across_a_reconnect_or_without_a_channel() -> None:
    heard = Heard()
    assert await heard.fills_of(ORDER, heard.session(), timeout=1) is None  # never up
    heard(ChannelUp(1))
    heard(fill("t1", "2"))
    heard(ChannelDown(1, "closed"))
    heard(ChannelUp(2))
    heard(fill("t2", "3"))
    assert await heard.fills_of(ORDER, 1, timeout=1) is None  # sent under connection 1


async def test_fills_that_never_add_up_or_add_up_to_more_are_not_used() -> None:
    heard = Heard()
    heard(ChannelUp(1))
    heard(fill("t1", "2"))
    with trio.fail_after(2):
        assert await heard.fills_of(ORDER, 1, timeout=0.05) is None
    heard(fill("t2", "4"))
    assert await heard.fills_of(ORDER, 1, timeout=1) is None


async def test_an_order_is_heard_by_client_order_id_and_forgotten_after_use() -> None:
    heard = Heard()
    heard(OrderHeard(ORDER))
    assert await heard.order("cid-1") == ORDER
    heard(fill("t1", "5"))
    heard.forget(ORDER)
    assert heard.order_now("cid-1") is None
    heard(ChannelUp(1))
    assert await heard.fills_of(ORDER, 1, timeout=0.05) is None  # its fills went too


def test_what_nobody_asks_for_is_kept_only_up_to_a_bound() -> None:
    heard = Heard()
    for n in range(KEEP + 10):
        heard(
            FillHeard(
                f"o-{n}",
                Fill(f"t{n}", "c", "SIM-001", Side.YES, Action.BUY, Decimal("0.5"), Decimal(1)),
            )
        )
    assert len(heard._fills) == KEEP
    assert "o-0" not in heard._fills


async def test_what_is_heard_of_an_order_after_it_was_forgotten_is_dropped() -> None:
    heard = Heard()
    heard(ChannelUp(1))
    heard(OrderHeard(ORDER))
    heard.forget(ORDER)  # its procedure is done: the late user_order frame is nobody's
    heard(OrderHeard(ORDER))
    heard(fill("t9", "5"))
    assert heard.order_now("cid-1") is None
    assert await heard.fills_of(ORDER, 1, timeout=0.05) is None
    assert (len(heard._orders), len(heard._fills)) == (0, 0)


def test_the_ids_of_forgotten_orders_are_kept_only_up_to_a_bound() -> None:
    heard = Heard()
    for n in range(KEEP + 10):
        order = attrs.evolve(ORDER, order_id=f"o-{n}", client_order_id=f"cid-{n}")
        heard.forget(order)
    assert len(heard._forgotten) == 2 * KEEP
    heard(OrderHeard(attrs.evolve(ORDER, order_id="o-0", client_order_id="cid-0")))
    assert heard.order_now("cid-0") is not None  # forgotten too long ago to be dropped
