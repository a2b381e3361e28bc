"""The graded assignments: otter assign builds them, otter run grades them."""
