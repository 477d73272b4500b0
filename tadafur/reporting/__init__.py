"""Monitoring, follow-up and evaluation of co-creation projects (issue 6)."""
