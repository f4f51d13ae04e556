"""Course tooling for instructors (students only need ``steplab``): generate release/ and
solutions/ (``python -m coursekit.release``) and grade a whole class
(``python -m coursekit autograde <assignment>``)."""
