"""Reports (one row per distinct document) and the figures read from them."""
