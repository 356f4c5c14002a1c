# Frontdoor's two commands for a fresh machine:
#   make demo   bring up Kafka, MongoDB and the four services, push sample contacts through
#   make test   run the whole test suite against a real broker and Mongo server
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test down install

demo: install
	$(BIN)/frontdoor demo

test: install
	$(BIN)/pytest

down:
	$(BIN)/frontdoor down

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml deploy/install-prerequisites.sh
	bash deploy/install-prerequisites.sh
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@
