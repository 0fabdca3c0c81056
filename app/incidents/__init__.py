"""Incidents: the alerts of one place, the places within it and its parents that fire within
a grouping window."""
