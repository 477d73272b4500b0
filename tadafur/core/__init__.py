"""Helpers shared by every domain: the home page and its panels, htmx answers, error pages,
security headers, uploads, template filters. The app is wired in tadafur.wiring."""
