"""Guest bookings: a partner's member books a desk for a day or a room for a slot at this
(host) node with their guest pass, and the home node learns of it (ARCHITECTURE.md §Guest
bookings)."""
