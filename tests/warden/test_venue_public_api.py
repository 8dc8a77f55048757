"""The simulator speaks the wire; the domain's vocabulary is defined once, in actors.domain."""

from __future__ import annotations

import warden.venue
from actors.domain import Action, Side
from warden.venue import WireAction, WireSide


def test_the_simulator_does_not_export_the_domains_side_or_action() -> None:
    assert {"Side", "Action"}.isdisjoint(warden.venue.__all__)
    assert not hasattr(warden.venue, "Side")
    assert not hasattr(warden.venue, "Action")


def test_every_wire_side_and_action_is_the_value_of_a_domain_member() -> None:
    assert [Side(wire.value) for wire in WireSide] == list(Side)
    assert [Action(wire.value) for wire in WireAction] == list(Action)
    assert WireSide.YES.other is WireSide.NO
