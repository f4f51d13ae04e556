"""nbgrader settings for this course directory (the repository root).

Read by every ``nbgrader`` command started here and by ``python -m coursekit.release``.
docs/design.md ("Pitfalls of the tools underneath") explains the pitfalls these settings answer.
"""

from nbgrader.preprocessors import ClearMarkScheme, ClearOutput, IncludeHeaderFooter, LockCells

c = get_config()  # noqa: F821  (provided by nbgrader)

c.CourseDirectory.course_id = "udl-ch6"
c.CourseDirectory.source_directory = "source"
c.CourseDirectory.release_directory = "release"
c.CourseDirectory.solution_directory = "solutions"
c.CourseDirectory.submitted_directory = "submitted"
c.CourseDirectory.autograded_directory = "autograded"
c.CourseDirectory.feedback_directory = "feedback"
c.CourseDirectory.db_url = "sqlite:///gradebook.db"
c.CourseDirectory.ignore = [
    ".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", ".*",
]

# --- stderr must not zero a test cell -------------------------------------------------------
# nbgrader 0.9.6 gives a test cell 0 points as soon as it has an "error" output OR any
# "stream" output named "stderr" (nbgrader/utils.py, determine_grade). numpy writes
# RuntimeWarnings (overflow, divide by zero) and matplotlib writes UserWarnings and font-cache
# log lines there, although the tests passed. The IgnorePattern preprocessor, which autograde
# runs right after Execute and before SaveAutoGrades, drops every stderr output whose text
# matches `pattern`; it ships disabled with an empty pattern. We match exactly the two shapes
# of harmless noise: a Python warning line ("<file>:<line>: <Category>Warning: <message>") and
# matplotlib's logging lines. Failing tests raise exceptions ("error" outputs), which this does
# not touch, so a wrong answer still earns 0. The filter works on the recorded outputs after
# the kernel has finished, so nothing a student runs in the notebook can switch it off.
# (tests/test_nbgrader.py::test_stderr_warning_keeps_points proves it.)
c.IgnorePattern.enabled = True
c.IgnorePattern.pattern = (
    r"(?m)^(?:.*:\d+: \w*Warning: |Matplotlib is building the font cache|findfont: )"
)

# --- execution timeout ----------------------------------------------------------------------
# Seconds per cell (nbgrader's default is 30). Test cells take well under a second on a correct
# answer and every notebook's tests together stay under 5 s, but the first cell that imports
# matplotlib may build the font cache on a fresh machine (tens of seconds on a busy 2-core CI
# box), and a "See it" cell runs a short optimisation and a plot. 60 s leaves room for that;
# a student's endless loop still costs at most one minute per cell, after which nbgrader
# interrupts the kernel, records CellTimeoutError (0 points for that cell) and grades the rest.
c.Execute.timeout = 60
c.Execute.interrupt_on_timeout = True

# --- generated solutions --------------------------------------------------------------------
# solutions/ is committed without outputs (docs/design.md), so generate_solution does not
# execute the notebook (its default list ends with Execute); the round-trip test in
# tests/test_nbgrader.py executes and grades the solution instead.
c.GenerateSolution.preprocessors = [IncludeHeaderFooter, LockCells, ClearOutput, ClearMarkScheme]
