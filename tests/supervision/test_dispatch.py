"""The runtime's one dispatch idiom: a handler table per actor, unknown messages counted."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import attrs

from supervision import ChildSpec, SupervisedActor
from tests.supervision.conftest import Journal, tree_spec


@attrs.frozen
class Ping:
    n: int


@attrs.frozen
class SubPing(Ping):
    """A subclass is not its parent: tables match the exact type."""


class Table(SupervisedActor):
    def __init__(self, journal: Journal) -> None:
        super().__init__()
        self.journal = journal
        self.table_reads = 0

    def handlers(self) -> Mapping[type[Any], Callable[[Any], Any]]:
        self.table_reads += 1
        return {Ping: self._on_ping, str: self._on_text}

    def _on_ping(self, message: Ping) -> int:
        return message.n + 1

    def _on_text(self, message: str) -> str:
        return message.upper()

    def on_unknown(self, message: Any) -> None:
        super().on_unknown(message)
        self.journal.add("unknown", message, self.unknown_messages)


def test_each_message_goes_to_its_handler_and_the_table_is_read_once(
    journal: Journal, start_tree
) -> None:
    actors: list[Table] = []

    def make() -> Table:
        actors.append(Table(journal))
        return actors[-1]

    tree = start_tree(tree_spec(ChildSpec(name="t", factory=make)))
    assert tree.ask("t", Ping(1)) == 2
    assert tree.ask("t", "shout") == "SHOUT"
    assert tree.ask("t", Ping(41)) == 42
    assert actors[0].table_reads == 1


def test_an_unknown_message_is_counted_and_ignored_not_raised(
    journal: Journal, start_tree
) -> None:
    tree = start_tree(tree_spec(ChildSpec(name="t", factory=lambda: Table(journal))))
    assert tree.ask("t", 3.5) is None
    assert tree.ask("t", SubPing(1)) is None  # exact type only
    assert journal.entries[-2:] == [("unknown", 3.5, 1), ("unknown", SubPing(1), 2)]
    node = tree.snapshot().find("t")
    assert (node.status, node.epoch) == ("running", 1)  # not a crash
