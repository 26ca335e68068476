"""pmo_resources."""
