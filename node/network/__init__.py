"""The node's side of the federation: peering, inbox, outbox, sync jobs, blocking, key rotation."""
