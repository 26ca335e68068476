"""The portfolio's own read models, updated in the same transaction as the append."""
