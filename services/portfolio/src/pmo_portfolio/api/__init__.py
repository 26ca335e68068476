"""The portfolio subgraph: strawberry types, queries (read models) and mutations (commands)."""
