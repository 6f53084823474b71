"""Menu planning: least-cost plans over many days, solved as a mixed-integer programme."""
