"""ParIndex web application (Flask)."""
