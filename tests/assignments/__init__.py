"""The graded assignments: otter assign builds them, grade.py grades them in
its sandbox."""
