"""Sandboxed grading of otter assignments: see ``assignments/grade.py``.

``runner`` and ``wire`` run inside the sandbox, next to a student's code;
``judge``, ``sandbox`` and ``reports`` run only in the trusted grader.
"""
