"""povexit: poverty-county exit assessment from registry exports and field surveys."""
