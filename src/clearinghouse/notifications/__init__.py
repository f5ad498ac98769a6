"""Notifications: subscriptions (webhooks, email), the transactional outbox, delivery."""
