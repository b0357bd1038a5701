# The README's commands. `make help` lists them.
GO ?= go
SHELL := bash
.SHELLFLAGS := -o pipefail -c

.PHONY: help synth synth-json test lint demo demo-https heal-report

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

synth: ## show what `pulumi up` would create for the dev stack, offline
	$(GO) run ./cmd/synth --stack dev

synth-json: ## the same, as one JSON object
	$(GO) run ./cmd/synth --stack dev --json

lint: ## gofmt, go vet
	@test -z "$$(gofmt -l .)" || { echo "gofmt would change:"; gofmt -l .; exit 1; }
	$(GO) vet ./...

test: lint ## every test: unit, program, boot script against moto, end to end
	$(GO) test -count=1 -timeout 40m ./...

demo: ## the dev stack heals in emulators: deploy, kill the instance, watch the address move (needs root)
	$(GO) run ./cmd/demo

demo-https: ## the HTTPS option with the real certbot and nginx against pebble: issue, ten heals, renewal, failure (needs root, certbot, nginx)
	@log="$${TMPDIR:-/tmp}/selfhealing-demo-https.log"; echo "full output: $$log"; \
	$(GO) test -count=1 -timeout 20m -run 'TestHTTPS' -v ./userdata/ 2>&1 | tee "$$log" | grep -E 'REPORT|^ *--- (PASS|FAIL|SKIP)|^(ok|FAIL)'

heal-report: ## run every healing scenario for our script and the seed's, and the HTTPS test; write heal-report.md and the README's table from them
	@figures="$$(mktemp --suffix=.json)"; trap 'rm -f "$$figures"' EXIT; set -x; \
	HTTPS_REPORT="$$figures" $(GO) test -count=1 -timeout 20m -run 'TestHTTPSCertificateIsIssuedOnceAndOutlivesTheInstance' -v ./userdata/ | grep -E 'REPORT|wrote the figures|^ *--- |^(ok|FAIL)' && \
	HEAL_HTTPS="$$figures" HEAL_REPORT=$(CURDIR)/heal-report.md HEAL_README=$(CURDIR)/README.md $(GO) test -count=1 -timeout 40m -run 'TestHealScenarios' -v ./tests/e2e/ | grep -E ' HEAL |AWS CLI for |^ *--- |^(ok|FAIL)'
	@echo "wrote heal-report.md and README.md's heal summary"
