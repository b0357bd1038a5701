# The README's commands. `make help` lists them.
GO ?= go
SHELL := bash
.SHELLFLAGS := -o pipefail -c

.PHONY: help synth synth-json test lint demo demo-https heal-report downtime-report schema sdks sdk-packages provider npm-ci

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

synth: ## show what `pulumi up` would create for the dev stack, offline
	$(GO) run ./cmd/synth --stack dev

synth-json: ## the same, as one JSON object
	$(GO) run ./cmd/synth --stack dev --json

lint: ## gofmt, go vet (the module, the test lab's module lab/, and sdkgen/)
	@test -z "$$(gofmt -l .)" || { echo "gofmt would change:"; gofmt -l .; exit 1; }
	$(GO) vet ./...
	cd lab && $(GO) vet ./... && $(GO) vet -tags report ./tests/e2e/
	cd sdkgen && $(GO) vet ./...

test: lint examples/typescript/node_modules/.bin/tsc ## every test: unit, program, provider, SDKs and examples, boot script against moto, end to end
	$(GO) test -count=1 -timeout 40m ./...
	cd lab && $(GO) test -count=1 -timeout 40m ./...
	cd sdkgen && $(GO) test -count=1 ./...
	cd examples/vpc && $(GO) vet ./... && $(GO) test -count=1 ./...

# Not part of `make test` (.ci/run runs it after): its first run builds the Pulumi CLI (5 to 11
# minutes on 2 cores) and the YAML language host (about 2 minutes);
# engine/bin/pulumi is rebuilt only when engine/go.mod or engine/go.sum
# changes, engine/bin/pulumi-language-yaml when engine/yamlhost's do.
.PHONY: engine
engine: ## the dev, full and README stacks and examples/yaml under the real Pulumi engine (CLI v3.274.1 from engine/go.mod, YAML host from engine/yamlhost/go.mod) with a stand-in AWS provider; one ENGINE line per step
	cd engine && $(GO) vet ./... && $(GO) test -count=1 -timeout 60m -v ./... | grep -E '^ENGINE |^buil|_test\.go:[0-9]+:|^ *--- |^(ok|FAIL|panic)'

schema: ## write internal/pkgschema/schema.json from the component's Go types
	$(GO) run ./cmd/schemagen

sdks: schema ## regenerate schema.json, then sdk/nodejs and sdk/python with Pulumi's codegen (sdkgen/, pinned)
	cd sdkgen && $(GO) run . -schema ../internal/pkgschema/schema.json -out ../sdk

sdk-packages: examples/typescript/node_modules/.bin/tsc ## build sdk/ into dist/: an npm tarball (tsc, then npm pack of bin/) and a Python wheel
	cd sdkgen && $(GO) run . -pack ../dist -sdk ../sdk -node-modules ../examples/typescript/node_modules

provider: ## build the component provider into bin/
	$(GO) build -o bin/pulumi-resource-selfhealing ./cmd/pulumi-resource-selfhealing

npm-ci: ## install the TypeScript example's pinned tools (tsc, @pulumi/pulumi) for its tests
	cd examples/typescript && npm ci --no-audit --no-fund

# make test installs them once, on a fresh machine.
examples/typescript/node_modules/.bin/tsc: examples/typescript/package-lock.json
	cd examples/typescript && npm ci --no-audit --no-fund --loglevel=error

# The demo lives in the test lab's module (lab/) and runs from the
# repository's root, where the dev stack's Pulumi.yaml is.
demo: ## the dev stack heals in emulators: deploy, kill the instance, watch the address move (needs root)
	@echo "building the demo (the first run compiles the Pulumi AWS SDK: a few minutes)..."
	@bin="$$(mktemp -d)"; trap 'rm -rf "$$bin"' EXIT; \
	$(GO) -C lab build -o "$$bin/demo" ./cmd/demo && "$$bin/demo"

demo-https: ## the HTTPS option with the real certbot and nginx against pebble: issue, ten heals, renewal, failure (needs root, certbot, nginx)
	@log="$${TMPDIR:-/tmp}/selfhealing-demo-https.log"; echo "full output: $$log"; \
	$(GO) -C lab test -count=1 -timeout 20m -run 'TestHTTPS' -v ./userdata/ 2>&1 | tee "$$log" | grep -E 'REPORT|^ *--- (PASS|FAIL|SKIP)|^(ok|FAIL)'

heal-report: ## run every healing scenario for our script and the seed's, the HTTPS test and the downtime events; write docs/heal-report.md and docs/seed-comparison.md's table from them
	@figures="$$(mktemp --suffix=.json)"; trap 'rm -f "$$figures"' EXIT; set -x; \
	HTTPS_REPORT="$$figures" $(GO) -C lab test -count=1 -timeout 20m -run 'TestHTTPSCertificateIsIssuedOnceAndOutlivesTheInstance' -v ./userdata/ | grep -E 'REPORT|wrote the figures|^ *--- |^(ok|FAIL)' && \
	HEAL_HTTPS="$$figures" HEAL_REPORT=$(CURDIR)/docs/heal-report.md HEAL_README=$(CURDIR)/docs/seed-comparison.md $(GO) -C lab test -count=1 -timeout 40m -run 'TestHealScenarios' -v ./tests/e2e/ | grep -E ' HEAL |AWS CLI for |^ *--- |^(ok|FAIL)'
	@echo "wrote docs/heal-report.md and docs/seed-comparison.md's heal summary"
	@$(MAKE) --no-print-directory downtime-report

downtime-report: ## play every downtime event with a client outside the instance; print one DOWNTIME line each and write docs/heal-report.md's downtime section
	@out="$$(mktemp)"; trap 'rm -f "$$out"' EXIT; \
	DOWNTIME_REPORT=$(CURDIR)/docs/heal-report.md $(GO) -C lab test -tags report -count=1 -timeout 30m -run 'TestDowntimeReport' -v ./tests/e2e/ >"$$out" 2>&1; rc=$$?; \
	grep -E 'DOWNTIME event=|^ *--- |^(ok|FAIL)|_test.go:' "$$out" | sed 's/^.*\(DOWNTIME event=\)/\1/'; exit $$rc
