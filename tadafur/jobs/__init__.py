"""Long work off the request: a job queue on the platform's own database (README, "Jobs")."""
