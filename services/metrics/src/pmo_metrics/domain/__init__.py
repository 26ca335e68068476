"""The metrics domain: pure calculations over what the other contexts report (no framework)."""
