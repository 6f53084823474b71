"""Reports for health and agriculture offices, composed from the domains' query functions."""
