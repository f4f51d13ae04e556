"""Course tooling: generate release/ and solutions/ (``python -m steplab.course.release``) and
grade a whole class (``python -m steplab.course autograde <assignment>``)."""
