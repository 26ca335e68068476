"""pmo_portfolio."""
