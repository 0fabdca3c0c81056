"""Incidents: the alerts of one destination and its parents that fire within a grouping window."""
