"""The audit log: every state change, append-only and hash-chained."""

from clearinghouse.audit.log import Actor, record_event, verify_chain

__all__ = ["Actor", "record_event", "verify_chain"]
