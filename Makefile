# Frontdoor's two commands for a fresh machine:
#   make demo   bring up Kafka, MongoDB and the four services, push sample contacts through
#   make test   run the whole test suite against a real broker and Mongo server
#   make faults the fault suite in its full form: 100,000 contacts (FAULTS_CONTACTS=... for another size)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test faults down install

demo: install
	$(BIN)/frontdoor demo

test: install
	$(BIN)/pytest

FAULTS_CONTACTS ?= 100000

faults: install
	FAULTS_CONTACTS=$(FAULTS_CONTACTS) FAULTS_REPORT=$(or $(FAULTS_REPORT),.frontdoor/faults-report.json) \
		$(BIN)/pytest tests/faults -m faults -s -o timeout=0

down:
	$(BIN)/frontdoor down

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml deploy/install-prerequisites.sh
	bash deploy/install-prerequisites.sh
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@
