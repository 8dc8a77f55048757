"""Polymarket's CLOB V2 behind the venue seam of :mod:`actors.venues` (being built:
see the modules of this package; the names are exported as they land)."""
