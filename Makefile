# The README's commands. `make help` lists them.
GO ?= go

.PHONY: help synth synth-json test lint

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
	$(GO) test -count=1 ./...
