"""pmo_events."""
