"""Numbers as people type them in spreadsheets and forms."""

from __future__ import annotations

import re
from typing import Any

_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")


def to_number(v: Any) -> float:
    """A number from a cell: ``12.5``, ``"1,250.5"`` (thousands commas), never ``"12,5"``.

    >>> to_number("1,250.5"), to_number(" 7 ")
    (1250.5, 7.0)
    >>> to_number("12,5")
    Traceback (most recent call last):
    ...
    ValueError: must be a number with a point for decimals, not '12,5'
    """
    if isinstance(v, bool):
        raise ValueError(f"must be a number, not {v!r}")
    if isinstance(v, str):
        text = v.strip()
        if _THOUSANDS.match(text):
            text = text.replace(",", "")
        elif "," in text:
            raise ValueError(f"must be a number with a point for decimals, not {v!r}")
        v = text
    try:
        return float(v)
    except (TypeError, ValueError, OverflowError):
        raise ValueError(f"must be a number, not {v!r}") from None
