"""A synthetic nation of kitchens, built straight into the database for scale tests."""
