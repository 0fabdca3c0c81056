"""Alerts: rules evaluated when a series changes, and the alerts they raise."""
