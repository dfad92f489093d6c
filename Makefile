# The two set-up commands: `make run` (main job) and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip install --quiet --disable-pip-version-check

.PHONY: run test install install-test clean

$(VENV)/bin/python:
	python3 -m venv $(VENV)

# torch first: the pinned CPU build that pip finds on this machine, so nothing pulls a CUDA build.
install: $(VENV)/bin/python
	$(PIP) torch==2.13.0
	$(PIP) -e .

install-test: $(VENV)/bin/python
	$(PIP) torch==2.13.0
	$(PIP) -e '.[test]'

run: install
	HF_HUB_OFFLINE=1 $(VENV)/bin/claimframe run --suite default

test: install-test
	HF_HUB_OFFLINE=1 $(PY) -m pytest -q

clean:
	rm -rf $(VENV) runs reports
