"""The command context (actor, roles, correlation id, clock, ids) is the shared building block."""

from pmo_events.commands import CommandContext, new_id, utcnow

__all__ = ["CommandContext", "new_id", "utcnow"]
