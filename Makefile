# llr-returns: the two commands a new user needs are `make run` and `make test`;
# both install what is missing first (`make deps`).
SWIFT ?= swift
RELEASE_BIN := .build/release
APT_PACKAGES := libcsv-dev zlib1g-dev libsqlite3-dev
BENCH_ROWS ?= 1000000

SAMPLE_ARGS := --out SampleData --quarters 2024-25_Q1,2024-25_Q2 --scale 0.2 --seed 2024 --error-rate 0.01 --resubmissions

.PHONY: deps build build-debug run test bench sample-data clean

deps:
	@missing=""; \
	for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "make deps: installing$$missing"; \
		SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

build: deps
	$(SWIFT) build -c release

build-debug: deps
	$(SWIFT) build

# The main job. Until the nightly merge (llr-merge) exists it runs the
# stages one after the other on the sample returns (SampleData/, synthetic,
# ~1% of rows with planted errors): validation reports, normalisation, then
# deduplication and linkage into out/dataset with the linkage state kept in
# out/state. Exit status 1 from the validator (a return is not valid) is the
# expected outcome here. The demo key is for synthetic data only.
run: build
	@mkdir -p out/state
	@$(RELEASE_BIN)/llr-validate --format html --output out/sample-validation.html --rejects out/rejects SampleData/returns/*.csv.gz; \
		status=$$?; [ $$status -le 1 ] || exit $$status
	@$(RELEASE_BIN)/llr-validate --format json --output out/sample-validation.json SampleData/returns/*.csv.gz; \
		status=$$?; [ $$status -le 1 ] || exit $$status
	@$(RELEASE_BIN)/llr-validate --max-findings 3 SampleData/returns/*.csv.gz; \
		status=$$?; [ $$status -le 1 ] || exit $$status
	@$(RELEASE_BIN)/llr-normalise --out out/normalised SampleData/returns/*.csv.gz > out/normalise-summary.txt; \
		status=$$?; [ $$status -le 1 ] || exit $$status
	@echo; $(RELEASE_BIN)/llr-dedupe --out out/dataset --state out/state/linkage.sqlite --demo-key out/normalised
	@$(RELEASE_BIN)/llr-dedupe score --truth SampleData/truth/records.csv out/dataset/lineage.csv.gz
	@echo; echo "Validation reports: out/sample-validation.html, out/sample-validation.json; rejected rows: out/rejects/"
	@echo "Aligned dataset: out/dataset/ (events, persons, links, lineage; restricted: person_identifiers, review.csv)"

# Regenerates SampleData/ (commit the result; a test checks they match).
sample-data: build
	rm -rf SampleData/returns SampleData/truth
	$(RELEASE_BIN)/llr-synth $(SAMPLE_ARGS)

# The tests drive the debug executables too, so build them first.
test: build-debug
	$(SWIFT) test

bench: build
	$(RELEASE_BIN)/llr-bench --rows $(BENCH_ROWS)

clean:
	rm -rf .build out
