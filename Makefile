# `make run` and `make test` do all the set-up on a fresh machine with Python 3.11.
# Every install comes from the lock files, exact versions with hashes (`make lock` remakes them).
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LOCK := requirements.lock
DEV_LOCK := requirements-dev.lock
# uv only resolves (`make lock`), for CPython 3.11 on Linux (dev machines, CI, the image); the
# hashes cover every platform's wheels of the pinned versions. Installs use the pip the venv
# ships with. The build backend ([build-system] requires) is locked too: the project itself
# installs with --no-build-isolation.
UV_COMPILE = $(BIN)/python -c 'import tomllib; \
	print(*tomllib.load(open("pyproject.toml", "rb"))["build-system"]["requires"], sep="\n")' \
	| $(BIN)/uv pip compile pyproject.toml - --quiet --generate-hashes \
	--python-version 3.11 --python-platform linux $(UPGRADE)

.PHONY: run test lint typecheck pytest install lock clean bench

install: $(STAMP)

$(STAMP): $(DEV_LOCK) pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "$(PYTHON) not found: set PYTHON=/path/to/python3.11"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --require-hashes -r $(DEV_LOCK)
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	$(BIN)/pip check
	$(BIN)/dispmon gazetteer build
	touch $(STAMP)

# Re-resolves both lock files from pyproject.toml, keeping every pin that still fits
# (`make lock UPGRADE=--upgrade` moves everything to the newest allowed). The runtime lock is
# constrained by the dev lock, so tests run on exactly the versions a deployment installs.
# A lock left in merge conflict keeps its first side's pins as the starting point.
lock:
	for f in $(DEV_LOCK) $(LOCK); do test ! -f $$f || sed -i -e '/^<<<<<<< /d' \
		-e '/^||||||| /,/^>>>>>>> /d' -e '/^=======$$/,/^>>>>>>> /d' $$f; done
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "$(PYTHON) not found: set PYTHON=/path/to/python3.11"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	test -x $(BIN)/uv || $(BIN)/pip install --quiet "$$(sed -n 's/^ *"\(uv[<>=][^"]*\)".*/\1/p' pyproject.toml)"
	$(UV_COMPILE) --extra dev -o $(DEV_LOCK)
	$(UV_COMPILE) --constraint $(DEV_LOCK) -o $(LOCK)

# The local demo: SQLite under ./var, scheduler inside the API, demo data, reads without a key.
run: $(STAMP)
	DISPMON_DEMO=true DISPMON_PUBLIC_READ=true $(BIN)/dispmon migrate
	DISPMON_DEMO=true DISPMON_PUBLIC_READ=true DISPMON_SCHEDULER=embedded $(BIN)/dispmon serve --host 127.0.0.1 --port 8000

lint: $(STAMP)
	$(BIN)/ruff check .

typecheck: $(STAMP)
	$(BIN)/mypy app tests bench migrations

pytest: $(STAMP)
	$(BIN)/pytest -q

test: lint typecheck pytest

bench: $(STAMP)
	$(BIN)/python bench/extract.py

clean:
	rm -rf $(VENV) var .mypy_cache .pytest_cache .ruff_cache
