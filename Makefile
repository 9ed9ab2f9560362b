# Two commands for a fresh machine: `make run` (set up, serve on :5000) and `make test` (set up, run every test).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: setup run dev test chromium tiny-model

$(STAMP): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	# torch first, pinned: the CPU wheel of this version is on disk; anything newer pulls CUDA packages.
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -r requirements.txt -r requirements-dev.txt
	touch $@

setup: $(STAMP)

run: setup
	$(VENV)/bin/gunicorn -c gunicorn.conf.py wsgi:app

dev: setup
	$(VENV)/bin/flask --app wsgi run --debug --port 5000

chromium:
	@command -v chromium >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null) \
		|| echo "could not install chromium: the browser test will be skipped"

test: setup chromium
	$(PY) -m pytest -q

tiny-model: setup
	$(PY) -m llms.tiny_model models/tiny-glm4
