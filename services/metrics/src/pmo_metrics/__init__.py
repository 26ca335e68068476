"""pmo_metrics."""
