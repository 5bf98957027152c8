"""The home page and error pages."""
