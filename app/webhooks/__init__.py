"""Webhooks: subscriptions, the outbox of notifications, and their signed delivery."""
