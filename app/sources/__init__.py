"""Where reports come from: sources, their kinds, and how they are fetched."""
