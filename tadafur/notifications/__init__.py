"""Notifications: in-app messages in the recipient's language, with e-mails sent after commit."""
