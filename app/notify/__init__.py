"""Notifications to people: subscriptions, one module per channel, and the messages they carry."""
