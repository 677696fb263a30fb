"""Fixed word lists and limits of protocol v1 that several documents share.

Entry bodies (``bodies``) and agreements (``agreements``) both name resource kinds; keeping the
lists here lets each of them import the words without importing the other.
"""

from __future__ import annotations

# protocol.md §resource.put: a new kind is a new protocol version (§Versioning rule 2).
RESOURCE_KINDS = ("hot_desk", "fixed_desk", "meeting_room", "office")
# Kinds a guest books by the seat, for a day (protocol.md §Inbox, "Booking notices"); the others
# are booked whole, for a slot.
SEAT_KINDS = ("hot_desk", "fixed_desk")

# schema.org OpeningHoursSpecification day names (protocol.md §space.profile).
DAYS = (
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
    "PublicHolidays",
)

MAX_SEQ = 2**53 - 1  # the largest seq (and ts): a safe integer (protocol.md §Canonical form)
MAX_ANNOUNCED_PEERS = 1000  # items of one peer.announce entry (protocol.md §Size limits)
MAX_MINOR_UNITS = 10**9  # a price in minor units (cents): up to ten million in major units
