"""Alembic migrations: one linear history, numbered files."""
