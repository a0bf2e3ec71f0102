# `make test` and `make book` work from a fresh clone: the venv and every pinned package are installed here.
PYTHON   ?= python3
VENV     := .venv
BIN      := $(VENV)/bin
STAMP    := $(VENV)/.installed
SANITIZE := tests/nbval_sanitize.cfg
# Experiment chapters are the chapters with a golden: tests/golden/<chapter>.ipynb is their papermill run with
# the tiny parameters of tests/golden/<chapter>.yaml, which read the tiny runs stored in tests/golden/records/.
# nbval re-runs the golden (seconds: it trains nothing, so every number it prints is the same on every CPU), not
# the stored run (up to hours). Theory chapters are nbval-checked themselves.
GOLDENS     := $(wildcard tests/golden/*.ipynb)
EXPERIMENTS := $(patsubst tests/golden/%,book/%,$(GOLDENS))
THEORY      := $(filter-out $(EXPERIMENTS),$(wildcard book/*.ipynb))
# Notebooks that read $LNC_DATA_DIR: nbval skips them, saying so, when it is unset.
DATA_NOTEBOOKS := book/noise_models.ipynb book/estimation.ipynb $(GOLDENS)
ALL_NOTEBOOKS = $(THEORY) $(GOLDENS)
# Theory chapters that read the stored records of results/
EVIDENCE := $(patsubst %.py,%.ipynb,$(shell grep -lE '^results_root|evidence_records' book/*.py))
NOTEBOOKS = $(if $(LNC_DATA_DIR),$(ALL_NOTEBOOKS),$(filter-out $(DATA_NOTEBOOKS),$(ALL_NOTEBOOKS)))
# nbval runs every stored notebook twice: on this CPU's own kernels, then with torch held to AVX2 kernels, as on
# another CPU kind (torch picks its kernels by these variables), so a notebook that passes here passes there.
AVX2 := ATEN_CPU_CAPABILITY=avx2 ONEDNN_MAX_CPU_ISA=AVX2
# execute: re-sync each of the chapters $(1) with its book/*.py, then re-execute it in place top to bottom
execute = for nb in $(1); do $(BIN)/jupytext --sync $${nb%.ipynb}.py && $(BIN)/jupyter execute --inplace $$nb \
  && $(BIN)/jupytext --sync $$nb || exit 1; done
nbval = $(if $(1),$(2) $(BIN)/python -m pytest -p no:cacheprovider --nbval --nbval-current-env \
  --nbval-sanitize-with $(SANITIZE) $(1),@echo "no stored notebooks to check")

.PHONY: test lint unit notebooks book pdf tex students check-html browser chapters evidence golden-records goldens \
  clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $(STAMP)

## test: ruff, unit tests, nbval on every stored notebook, the book build with -W, the headless-browser check
test: lint unit notebooks book check-html

## lint: ruff's lint rules and formatting (pyproject.toml [tool.ruff]; `ruff format .` fixes the formatting),
## and actionlint on the GitHub Pages workflow (no test here can run it on GitHub)
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/actionlint .github/workflows/pages.yml

unit: $(STAMP)
	$(BIN)/python -m pytest tests

notebooks: $(STAMP)
	@$(if $(LNC_DATA_DIR),,echo "LNC_DATA_DIR unset: nbval skips $(DATA_NOTEBOOKS)")
	$(call nbval,$(NOTEBOOKS))
	$(call nbval,$(NOTEBOOKS),$(AVX2))

## book: the HTML book in _build/html, from the stored outputs (no re-execution), offline
## REPOSITORY=https://github.com/<owner>/<name> (the Pages workflow passes its own; BRANCH, default main) adds the
## repository, edit and issue buttons and the Binder and Colab launch buttons (tools/book_config.py)
BRANCH ?= main
book: $(STAMP)
	$(if $(REPOSITORY),$(BIN)/python tools/book_config.py --repository $(REPOSITORY) --branch $(BRANCH) \
	  > .book_config.yml)
	$(BIN)/jupyter-book build . -W -n --keep-going $(if $(REPOSITORY),--config .book_config.yml)

## pdf: the whole book as one PDF, _build/pdf/lnc-book.pdf, from the stored outputs like make book (-W too), with
## xelatex for the book's Unicode; tools/book_config.py --pdf holds its LaTeX settings, tools/pdf_latex.py the Sphinx
## extension that sets the outputs' HTML tables as LaTeX tables. It has Sphinx folders of its own (_build/pdf/_build:
## doctrees, and latex/ with the .tex and lnc-book.log), so that it never shares an environment with a make book.
## latexmk runs -silent, afresh each time; on a LaTeX error, the log's error lines are printed
PDF_LOG := _build/pdf/_build/latex/lnc-book.log
pdf: $(STAMP) tex
	mkdir -p _build/pdf
	rm -rf _build/pdf/_build/latex _build/pdf/lnc-book.pdf
	$(BIN)/python tools/book_config.py --pdf > _build/pdf/config.yml
	PYTHONPATH=tools LATEXMKOPTS=-silent $(BIN)/jupyter-book build . --builder pdflatex --path-output _build/pdf \
	  -W -n --keep-going --config _build/pdf/config.yml \
	  || { grep -s -A4 '^!' $(PDF_LOG) >&2; exit 1; }
	cp _build/pdf/_build/latex/lnc-book.pdf _build/pdf/lnc-book.pdf
	@echo "the book as one PDF: _build/pdf/lnc-book.pdf"

## tex: Debian's TeX for make pdf (xelatex, latexmk, the fonts), installed when missing and the user is root;
## fonts-freefont-otf is Sphinx's xelatex font, texlive-fonts-recommended has the ZapfDingbats of hyperref's links
TEX_PACKAGES := latexmk texlive-xetex texlive-fonts-recommended fonts-freefont-otf
tex:
	@{ command -v xelatex && command -v latexmk && kpsewhich pzdr.tfm && fc-list | grep -q FreeSerif; } \
	  >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing Debian's TeX for the PDF: $(TEX_PACKAGES)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	      $(TEX_PACKAGES) >/dev/null; \
	  else \
	    echo "make pdf needs xelatex, latexmk and GNU FreeFont: run" \
	      "'sudo apt-get install --no-install-recommends $(TEX_PACKAGES)'" >&2; \
	    exit 1; \
	  fi; }

## students: the students' edition, every page without the exercises' solutions, in _build/students/_build/html
students: $(STAMP)
	$(BIN)/python tools/students.py _build/students

## check-html: every page in headless Chromium (raw math, tracebacks, overflow at 1280 px, leftovers, captions);
## the checker first proves on two pages of its own that it finds what it should
check-html: book browser
	$(BIN)/python tools/check_html.py --self-check
	$(BIN)/python tools/check_html.py _build/html

## browser: Debian's chromium for the HTML check, installed when missing and the user is root
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing Debian's chromium for the HTML check"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "make test needs Debian's chromium for the HTML check: run 'sudo apt-get install chromium'" >&2; \
	    exit 1; \
	  fi; }

## chapters: after editing a theory chapter's book/*.py, rebuild its .ipynb and re-execute it (needs LNC_DATA_DIR)
chapters: $(STAMP)
	$(call execute,$(THEORY))

## evidence: re-execute the chapters that read results/ (seconds each), after records land there: nbval compares
## their stored outputs with the records of the clone, so a record committed without this fails make test
evidence: $(STAMP)
	$(call execute,$(EVIDENCE))

## golden-records: train the goldens' tiny runs afresh into tests/golden/records/ (minutes), then make goldens;
## in fp32 on every CPU, so that they do not depend on whether this one has bf16 units
golden-records: $(STAMP)
	rm -rf tests/golden/records
	for golden in $(GOLDENS); do \
	  LNC_PRECISION=fp32 $(BIN)/papermill --cwd tests/golden book/$$(basename $$golden) $(VENV)/golden-records.ipynb \
	    -f $${golden%.ipynb}.yaml || exit 1; \
	done
	LNC_PRECISION=fp32 $(BIN)/python tools/run_grid.py cifar10n --noise aggre --methods ce --protocol cpu \
	  --epochs 2 --subset 500 --selection val_loss --results-dir tests/golden/records/cifarn_epochs
	for folder in tests/golden/records/*/; do \
	  echo "Tiny runs the goldens read (make golden-records); run_grid adds none without extend=True." \
	    > $$folder/STORED; \
	done

## goldens: re-run every experiment chapter with its golden parameters into tests/golden/ (seconds each)
goldens: $(STAMP)
	for golden in $(GOLDENS); do \
	  $(BIN)/jupytext --sync book/$$(basename $${golden%.ipynb}).py && \
	  $(BIN)/papermill --cwd tests/golden book/$$(basename $$golden) $$golden -f $${golden%.ipynb}.yaml || exit 1; \
	done

## run-<chapter>: the stored run of an experiment chapter (its default parameters; minutes to hours on a CPU)
run-%: $(STAMP)
	$(BIN)/python tools/run_chapter.py $*

clean:
	rm -rf _build
