"""Displacement Monitor: reads how many people fled where, keeps series, alerts by webhook."""
