"""A tiny process hosting a supervision tree, for tests that need a real process.

    python -m tests.supervision.tree_program serve      # runs until SIGINT/SIGTERM
    python -m tests.supervision.tree_program escalate   # a child that never starts

Prints one line per lifecycle event (``start NAME`` / ``stop NAME``) and exits
with :func:`supervision.run_until_signalled`'s code.
"""

from __future__ import annotations

import sys

from loguru import logger

from supervision import (
    NO_BACKOFF,
    ChildSpec,
    SupervisedActor,
    SupervisionTree,
    SupervisorSpec,
    run_until_signalled,
)


class Loud(SupervisedActor):
    def __init__(self, broken: bool = False) -> None:
        super().__init__()
        self.broken = broken

    def on_start(self) -> None:
        print(f"start {self.name}", flush=True)
        if self.broken:
            raise RuntimeError(f"{self.name} cannot start")

    def on_stop(self) -> None:
        print(f"stop {self.name}", flush=True)


def build(mode: str) -> SupervisorSpec:
    children = [ChildSpec(name=n, factory=Loud) for n in ("a", "b", "c")]
    if mode == "escalate":
        children.append(ChildSpec(name="broken", factory=lambda: Loud(broken=True)))
    return SupervisorSpec(
        name="root", children=tuple(children), intensity=2, period=60.0, backoff=NO_BACKOFF
    )


def main() -> int:
    logger.remove()
    logger.add(sys.stderr, level="WARNING", format="{level} {message}")
    return run_until_signalled(SupervisionTree(build(sys.argv[1])))


if __name__ == "__main__":
    sys.exit(main())
