"""Declarative workflows: projects move through states defined in workflows/*.yaml, with
multi-party sign-off gates. `services` is the one entry point for views and other domains.
"""
