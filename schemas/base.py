"""Shared base for every bus message.

Bus messages are msgspec structs: frozen, keyword-only, no GC tracking, encoded as arrays whose first
element is the tag. Every message class names its wire tag explicitly (``tag="md.book"``): a short
string that is part of the protocol, so renaming a class never changes the wire; a new tag or a changed
meaning bumps ``bus.codec.PROTOCOL_VERSION``. New fields go at the end and carry defaults (schema
evolution).

Units on the bus (see ARCHITECTURE.md "Money is exact"):
- prices and sizes: ``int`` in 1e-6 units (0.5 -> 500_000; 5 shares -> 5_000_000);
- time: ``int`` nanoseconds since the epoch (``ts_event`` from the venue, ``ts_recv`` local).
The constants (``MICRO``, ``NS``, ``MS``) and the decimal parsers are in ``schemas.units``.
"""

from __future__ import annotations

import msgspec


class Message(msgspec.Struct, frozen=True, kw_only=True, gc=False, array_like=True):
    """Root of the bus union; every subclass sets its own ``tag=`` (tests/unit/test_schemas_golden.py
    checks each is explicit and unique)."""
