"""The trading domain: value types, the five actors and venue adapters.

- :mod:`actors.domain`: frozen, validated value types (markets, books,
  opportunities, orders and their state machine, fills, positions);
- :mod:`actors.money`: exact money (``Decimal`` dollars and contracts): price
  grids, lot sizes, wire strings, venue fee rules, break-even exits;
- :mod:`actors.fees`: the fee model strategies and risk use (Kalshi's fees,
  delegating to :mod:`actors.money`) and complement-arbitrage break-even;
- :mod:`actors.errors`: the error hierarchy, drawn in its docstring.

Built on :mod:`supervision`; never imports :mod:`warden`.  This module imports
nothing, so ``import actors`` stays cheap.
"""
