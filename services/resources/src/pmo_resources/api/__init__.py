"""The resources subgraph (strawberry)."""
