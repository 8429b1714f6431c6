"""ioi-grader: IOI-style grading with exact IOI scoring and a Docker sandbox.

The repository keeps one folder per concept; installed, they are subpackages of this one:
`problems`, `sandbox`, `checkers`, `grading`, `workers`, `server`, `client`, `bench`.
"""

__version__ = "0.1.0"
