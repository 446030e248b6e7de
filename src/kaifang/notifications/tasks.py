"""Periodic delivery of queued mail and digests."""
