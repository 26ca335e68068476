"""The metrics subgraph: flow metrics from its read models, added to other contexts' entities."""
