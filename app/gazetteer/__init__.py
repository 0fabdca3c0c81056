"""Places: the gazetteer shipped with the service, and the places and aliases staff add."""
