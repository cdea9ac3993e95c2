"""The platform's services; each owns its data and never imports another."""
