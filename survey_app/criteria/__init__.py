"""Versioned criteria sets: areas → criteria → sub-criteria with points and sources."""
