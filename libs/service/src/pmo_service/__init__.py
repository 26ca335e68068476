"""pmo_service."""
