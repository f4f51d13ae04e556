"""Autograde a whole class in parallel, sandboxed, with safe feedback (``python -m coursekit
autograde <assignment> --workers N``).

Pipeline (nothing from the book: this is the course's grading infrastructure):

1. The parent builds the *grading template* of each notebook of the assignment from
   ``source/<a>/<nb>.ipynb`` with nbgrader's own preprocessors (``LockCells``,
   ``ClearSolutions``, ``ClearOutput``, ``ComputeChecksums``: the same cells, checksums and
   hidden tests that ``nbgrader generate_assignment`` stores in the gradebook) and registers
   the assignment in the gradebook if it is not there yet (``SaveCells``).
2. One worker process per submission (forked, so crashes stay isolated): it reads the
   student's notebook defensively, *assembles* the notebook to grade (every locked, test and
   instruction cell comes from the template; only the student's answer cells and their own
   extra cells are taken from the submission), executes it cell by cell in a sandboxed
   kernel (:mod:`coursekit.sandbox`) whose working directory holds only the student's
   notebook, grades each test cell (an error, in the reply or the outputs, scores 0; text on
   stderr does not), writes ``autograded/<student>/<a>/<nb>.ipynb`` and the feedback page
   ``feedback/<student>/<a>/<nb>.html``, and returns the scores.
3. The parent is the only writer of the gradebook (SQLite or PostgreSQL via ``db_url``): it
   merges each result (auto scores are replaced, manual scores kept) and then writes the
   grades CSV, a summary and the report (:mod:`coursekit.report`).

What the sandbox closes and what it cannot (documented for instructors):
closed -- reading ``source/``, ``solutions/``, ``tests/``, ``.git``, the gradebook or other
students' files (the course directory and ``/tmp`` are hidden in the kernel's mount
namespace), the network, writing outside the kernel's directory, runaway memory, processes,
file sizes and time, edited or deleted locked/test cells (restored from the source), hidden
test code in feedback (cell code, tracebacks and any output text that repeats a hidden line
are redacted; outputs produced after the first hidden test reached the kernel are not shown;
messages are capped). Not closed -- student code runs in the same kernel *before* the test
cells, so a deliberately malicious submission can inspect the test code when it is called
(``inspect``, ``In``) or patch IPython/steplab to fake passes. Such code needs names that
ordinary answers never use; the grader flags them (``get_ipython``, ``inspect``, ``In``,
``sys.modules``, ``exec`` ...) for manual review in the report instead of trusting the score.

Modules (one job each): :mod:`coursekit.assemble` (templates, student view, assembly, static
scan), :mod:`coursekit.kernel` (sandboxed kernel session, execution, limits),
:mod:`coursekit.grade` (one submission in a worker; feedback regeneration),
:mod:`coursekit.feedback` (feedback notebook and HTML page), :mod:`coursekit.gradebook`
(gradebook, CSV, summary), :mod:`coursekit.pool` (worker pool, ``autograde_class``),
:mod:`coursekit.cli` (command line). This module re-exports their public names.
"""

from __future__ import annotations

from .assemble import (
                       ENGINE_MODULES,
                       HIDDEN_BEGIN,
                       HIDDEN_END,
                       SUSPICIOUS,
                       assemble,
                       build_templates,
                       course_config,
                       engine_names,
                       hidden_lines,
                       linked_tests,
                       scan_answer,
                       strip_hidden,
                       student_view,
)
from .feedback import feedback_notebook, render_html
from .grade import Job, grade_notebook, grade_submission, regenerate_feedback
from .gradebook import (
                       gradebook_table,
                       merge_result,
                       register_assignment,
                       resolve_db_url,
                       summary_text,
                       write_csv,
)
from .kernel import CellRun, KernelStartError, Limits
from .pool import ClassResult, autograde_class

__all__ = ["Limits", "autograde_class", "build_templates", "assemble", "grade_notebook",
           "feedback_notebook", "regenerate_feedback", "student_view", "strip_hidden",
           "scan_answer", "engine_names", "register_assignment", "merge_result",
           "ENGINE_MODULES", "HIDDEN_BEGIN", "HIDDEN_END", "SUSPICIOUS", "course_config",
           "hidden_lines", "linked_tests", "render_html", "Job", "grade_submission",
           "gradebook_table", "resolve_db_url", "summary_text", "write_csv", "CellRun",
           "KernelStartError", "ClassResult"]
