"""Capitalisation: the public showcase of published projects, the lessons library, and
"start from this project" (replication in another commune)."""
