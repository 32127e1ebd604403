"""Pieces every app's API shares: authentication, pagination, errors."""
