"""The web pages staff read: overview, destinations, alerts and reports, rendered on the server."""
