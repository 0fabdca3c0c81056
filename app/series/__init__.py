"""Series: per destination and day, the estimate of people displaced there, with its sources."""
