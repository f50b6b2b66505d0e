"""Persistence: SQLAlchemy tables, repositories and the unit of work. All SQL lives here."""
