# Two commands for a fresh machine: `make run` and `make test`.
# The venv is built on Python 3.12 when present (PySide6 6.12.0 aborts on 3.11), else python3.
PY_BOOT := $(shell for p in python3.12 $$HOME/.pyenv/versions/3.12*/bin/python3.12 /usr/bin/python3.12 python3.13 python3.11 python3; do \
             command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null && { command -v $$p; break; }; done)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run lint test bench demo clean freeze smoke

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PY_BOOT) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	@# an editable install compiles none of our modules: the first start would compile ~100 of them
	$(PY) -m compileall -q workbench widgets
	@touch $(STAMP)

run: $(STAMP)
	$(VENV)/bin/workbench

# static checks: lint (ruff), the import contracts of pyproject.toml (import-linter), types of the pure
# packages (mypy; the packages are listed in pyproject.toml)
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	PYTHONPATH=. $(VENV)/bin/lint-imports
	$(VENV)/bin/mypy

test: lint
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -n 2 -q

bench: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) bench/load.py
	QT_QPA_PLATFORM=offscreen $(PY) bench/timeline.py
	QT_QPA_PLATFORM=offscreen $(PY) bench/eval.py
	QT_QPA_PLATFORM=offscreen $(PY) bench/split_timeline.py
	QT_QPA_PLATFORM=offscreen $(PY) bench/startup.py
	QT_QPA_PLATFORM=offscreen $(PY) bench/release.py
	$(PY) bench/import_stages.py --files 200
	$(PY) bench/files.py --only users_1m

freeze: $(STAMP)
	$(PY) -m pip install -q -e '.[freeze]'
	$(PY) packaging/build.py

smoke: $(STAMP)
	$(PY) -m pip install -q -e '.[freeze]'
	$(PY) packaging/smoke_test.py

clean:
	rm -rf $(VENV) build dist *.egg-info
