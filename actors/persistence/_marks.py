"""A mark in a ledger's fills: where a checkpoint of what they add up to was taken."""

from __future__ import annotations

import attrs


@attrs.frozen
class FillMark:
    """The ledger's fills up to and including the one at ``rowid``: ``count`` of them,
    the last being the fill ``fill_id`` of the order ``client_order_id``.

    Fills are only ever appended, so what follows a mark is what was recorded after
    it. A mark is checked against the ledger before it is used
    (:meth:`Ledger.fill_rows_after <actors.persistence.Ledger.fill_rows_after>`): the
    fill at ``rowid`` and the count up to it must both agree, or the mark is another
    ledger's (or of one rewritten since) and
    :class:`~actors.persistence.FillMarkMismatch` is raised."""

    rowid: int = attrs.field(
        validator=attrs.validators.and_(attrs.validators.instance_of(int), attrs.validators.ge(1))
    )
    count: int = attrs.field(
        validator=attrs.validators.and_(attrs.validators.instance_of(int), attrs.validators.ge(1))
    )
    fill_id: str = attrs.field(validator=attrs.validators.instance_of(str))
    client_order_id: str = attrs.field(validator=attrs.validators.instance_of(str))
