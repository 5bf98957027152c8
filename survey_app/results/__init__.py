"""Aggregation runs and the figures they produced."""
