"""Shared foundations: the declarative base, time helpers, audit log and job outbox."""
