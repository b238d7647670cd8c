"""The one JSON encoding of warehouse values, so every document shows a time the same way.

Timestamps are UTC in the audit trail's canonical form (`2026-11-01T00:00:00.000000Z`,
audit.TIMESTAMP_FORMAT): the evidence page, the access report and the model card agree, and
a value in evidence.json is the text its audit record was hashed over. Dates are ISO dates,
decimals become floats, and containers are converted all the way down.
"""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Any

TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def timestamp(value: dt.datetime) -> str:
    """A timestamp as UTC text; naive values are UTC already (the warehouse stores UTC)."""
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return value.strftime(TIMESTAMP_FORMAT)


def utc_now() -> str:
    """Now, to the second, in the same format."""
    return timestamp(dt.datetime.now(dt.UTC).replace(microsecond=0))


def jsonable(value: Any) -> Any:
    """The value with every timestamp, date and decimal in it made JSON-ready."""
    if isinstance(value, dt.datetime):
        return timestamp(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value
