"""Why the feed refuses a frame or the book it would make (counted per reason and market)."""

from __future__ import annotations

import enum


class RejectReason(enum.Enum):
    """Why a frame (or the book it would make) was refused."""

    BAD_JSON = "bad_json"  # not JSON at all (e.g. cut off)
    NOT_FINITE = "not_finite"  # NaN or +-Infinity (a JSON literal or a string spelling one)
    NOT_INTEGER = "not_integer"  # float, bool, string ... where an integer (sid, seq) belongs
    NOT_STRING = "not_string"  # a JSON number, bool ... where a decimal string belongs
    BAD_NUMBER = "bad_number"  # a string that is not plain fixed-point text ("1e-2", " 5")
    TOO_PRECISE = "too_precise"  # more decimals than the wire allows (price 4, count 2)
    OFF_GRID = "off_grid"  # a price that is not a multiple of its market's tick
    NEGATIVE = "negative"  # a negative price, size, sid or seq
    OUT_OF_RANGE = "out_of_range"  # price outside its grid / (0, payout), zero size or change
    BAD_SHAPE = "bad_shape"  # missing field, wrong container, unknown side
    DUPLICATE_PRICE = "duplicate_price"  # a snapshot lists one price twice on a side
    UNKNOWN_TYPE = "unknown_type"  # a frame type the feed does not subscribe to
    WRONG_MARKET = "wrong_market"  # the frame's market is not its subscription's
    CROSSED = "crossed"  # best bids overlap by more than the allowed overlap
    NEGATIVE_LEVEL = "negative_level"  # a delta would leave a level below zero
