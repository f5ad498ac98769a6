"""Participants: organizations, their users and API tokens, roles and clearances."""
