# Two commands do all the set-up: `make lab` and `make test` (see README.md).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# The venv's bin/ goes first on PATH so nbgrader finds `alembic` and `jupyter` (docs/design.md).
export PATH := $(abspath $(BIN)):$(PATH)
export MPLBACKEND := Agg
STAMP := $(VENV)/.installed
LOCK := requirements.lock
PIP := $(BIN)/python -m pip -q --disable-pip-version-check
LAB_ARGS ?=
# Jupyter refuses to start as root unless told; containers and CI machines often run as root
ROOT_FLAG := $(shell [ "$$(id -u)" = 0 ] && echo --allow-root)
PYTEST_ARGS ?=
ASSIGNMENT ?=
WORKERS ?= 2
AUTOGRADE_ARGS ?=
FEEDBACK_ARGS ?=
# the student's working copy that `make check` runs
NOTEBOOK ?= work/$(ASSIGNMENT)/$(ASSIGNMENT).ipynb
SCHEDULER ?=

.PHONY: lab instructor exercises test venv lock release release-check lessons autograde feedback check bench lint clean help

help:
	@echo "make lab       the student's JupyterLab: lessons and your exercises (LAB_ARGS=--no-browser on servers)"
	@echo "make exercises copy new exercises from release/ into your working copy work/ (never overwrites)"
	@echo "make instructor  JupyterLab with nbgrader's instructor tools (formgrader, create assignment)"
	@echo "make test      run every test (engine, notebooks, nbgrader round trip, browser)"
	@echo "make release   regenerate release/ and solutions/ from source/ (commit the result)"
	@echo "make release-check   only report whether release/ and solutions/ are in sync"
	@echo "make lessons   re-run chapters/ and refresh their committed text outputs (held by nbval)"
	@echo "make autograde ASSIGNMENT=adam [WORKERS=2]   grade submitted/ in parallel"
	@echo "               [SCHEDULER=tcp://host:8786]   ... or on a Dask cluster (README, Scaling out)"
	@echo "make feedback ASSIGNMENT=adam   rebuild feedback/ after manual grading (hidden tests left out;"
	@echo "               refuses while written parts are ungraded: FEEDBACK_ARGS=--allow-ungraded counts them 0)"
	@echo "make check ASSIGNMENT=adam   a student's self-check of work/adam/adam.ipynb (visible tests;"
	@echo "               NOTEBOOK=path to check another copy): work/adam/feedback.html"
	@echo "make lock      refresh requirements.lock (exact versions + hashes) from pyproject.toml [UPGRADE=1]"
	@echo "make bench     speed and latency benchmarks (not part of make test)"

# Installs the exact versions (and hashes) of requirements.lock, then steplab itself without
# resolving anything; re-installs only when the lock or pyproject.toml changed.
$(STAMP): $(LOCK) pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) install --require-hashes --no-deps -r $(LOCK)
	$(PIP) install --no-deps --no-build-isolation -e .
	@touch $(STAMP)

# Refresh requirements.lock from pyproject.toml (uv's resolver; hashes for every platform's wheels).
# Keeps every pin that still fits; `make lock UPGRADE=1` moves everything to the newest versions.
# Then run `make test`: tests/test_repo.py checks that environment.yml carries the same pins.
UPGRADE ?=
lock: $(STAMP)
	$(BIN)/uv pip compile pyproject.toml --all-extras --universal --python-version 3.11 \
		--generate-hashes --no-emit-index-url $(if $(UPGRADE),--upgrade) -o $(LOCK)

venv: $(STAMP)

# The student's lab: serves the course root (lessons in chapters/, answers in work/), opens the
# index, and hides the instructor's tools and files (.jupyter/student/: nbgrader's formgrader,
# create-assignment and course-list extensions off; source/, solutions/, ... not listed).
LAB = $(BIN)/jupyter lab --ServerApp.root_dir=$(CURDIR) $(ROOT_FLAG) $(LAB_ARGS)
lab: $(STAMP) exercises
	JUPYTER_CONFIG_PATH=$(CURDIR)/.jupyter/student $(LAB) --LabApp.default_url=/lab/tree/chapters/00_index.ipynb

# The instructor's lab: every nbgrader extension (Create Assignment, Formgrader, ...) and file.
instructor: $(STAMP)
	$(LAB) --LabApp.default_url=/lab/tree/README.md

# A student's working copy: release/<a>/ -> work/<a>/ (git-ignored). Copies only files the student
# does not have yet, so running it again after pulling course updates never overwrites an answer.
exercises:
	@for dir in release/*/; do a=$$(basename "$$dir"); \
	  (cd "$$dir" && find . -type f ! -path '*/.ipynb_checkpoints/*') | while read -r f; do \
	    dest="work/$$a/$${f#./}"; \
	    if [ ! -e "$$dest" ]; then mkdir -p "$$(dirname "$$dest")"; cp -p "$$dir/$${f#./}" "$$dest"; \
	      echo "exercises: new $$dest"; fi; \
	  done; done

# Lessons are held by strict nbval (their committed text outputs are compared); the exercise
# notebooks are executed by the nbgrader round-trip tests in tests/test_nbgrader.py.
NBVAL := --nbval --nbval-sanitize-with tests/nbval_sanitize.cfg
test: $(STAMP)
	$(BIN)/python -m pytest tests chapters $(NBVAL) -n 2 --dist loadscope $(PYTEST_ARGS)

release: $(STAMP)
	$(BIN)/python -m coursekit.release

release-check: $(STAMP)
	$(BIN)/python -m coursekit.release --check

autograde: $(STAMP)
	@test -n "$(ASSIGNMENT)" || { echo "usage: make autograde ASSIGNMENT=<name> [WORKERS=2]"; exit 2; }
	$(BIN)/python -m coursekit autograde $(ASSIGNMENT) --workers $(WORKERS) \
		$(if $(SCHEDULER),--scheduler $(SCHEDULER)) $(AUTOGRADE_ARGS)

feedback: $(STAMP)
	@test -n "$(ASSIGNMENT)" || { echo "usage: make feedback ASSIGNMENT=<name>"; exit 2; }
	$(BIN)/python -m coursekit feedback $(ASSIGNMENT) $(FEEDBACK_ARGS)

check: $(STAMP)
	@test -n "$(ASSIGNMENT)" || { echo "usage: make check ASSIGNMENT=<name> [NOTEBOOK=work/<name>/<name>.ipynb]"; exit 2; }
	$(BIN)/python -m coursekit check $(ASSIGNMENT) --notebook "$(NOTEBOOK)"

lessons: $(STAMP)
	$(BIN)/python -m coursekit.lessons

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_engine.py
	$(BIN)/python benchmarks/bench_widgets.py --browser
	$(BIN)/python benchmarks/bench_autograde.py
	$(BIN)/python benchmarks/bench_cluster.py

lint: $(STAMP)
	$(BIN)/ruff check steplab coursekit tests benchmarks

clean:
	rm -rf $(VENV) .pytest_cache artifacts
