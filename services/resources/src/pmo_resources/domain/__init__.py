"""The resources domain: pure aggregates, events and invariants (no framework imports)."""
