"""Fault injection: a private PostgreSQL cluster restarted, crashed and stopped."""
