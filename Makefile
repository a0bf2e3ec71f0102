# `make test` and `make book` work from a fresh clone: the venv and every pinned package are installed here.
PYTHON   ?= python3
VENV     := .venv
BIN      := $(VENV)/bin
STAMP    := $(VENV)/.installed
SANITIZE := tests/nbval_sanitize.cfg
# Chapters that read $LNC_DATA_DIR (CIFAR-N labels): nbval skips them, saying so, when it is unset.
DATA_NOTEBOOKS := book/noise_models.ipynb book/estimation.ipynb
NOTEBOOKS = $(if $(LNC_DATA_DIR),$(ALL_NOTEBOOKS),$(filter-out $(DATA_NOTEBOOKS),$(ALL_NOTEBOOKS)))
ALL_NOTEBOOKS = $(wildcard book/*.ipynb tests/golden/*.ipynb)

.PHONY: test unit notebooks book check-html chapters clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $(STAMP)

## test: unit tests, nbval on every stored notebook, the book build with -W, the headless-browser check
test: unit notebooks book check-html

unit: $(STAMP)
	$(BIN)/python -m pytest tests

notebooks: $(STAMP)
	@$(if $(LNC_DATA_DIR),,echo "LNC_DATA_DIR unset: nbval skips $(DATA_NOTEBOOKS)")
ifneq ($(strip $(NOTEBOOKS)),)
	$(BIN)/python -m pytest -p no:cacheprovider --nbval --nbval-current-env \
	  --nbval-sanitize-with $(SANITIZE) $(NOTEBOOKS)
else
	@echo "no stored notebooks to check"
endif

## book: the HTML book in _build/html, from the stored outputs (no re-execution), offline
book: $(STAMP)
	$(BIN)/jupyter-book build . -W -n --keep-going

check-html: book
	$(BIN)/python tools/check_html.py _build/html

## chapters: after editing book/*.py, rebuild each paired .ipynb and re-execute it top to bottom (needs LNC_DATA_DIR)
chapters: $(STAMP)
	for py in book/*.py; do \
	  $(BIN)/jupytext --sync $$py && \
	  $(BIN)/jupyter execute --inplace $${py%.py}.ipynb && \
	  $(BIN)/jupytext --sync $${py%.py}.ipynb || exit 1; \
	done

clean:
	rm -rf _build
