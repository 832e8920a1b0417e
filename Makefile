# The two commands that matter: `make demo` and `make test` (see README.md).
.PHONY: demo test build dist bench clean

PORT ?= 8787
# The shop page (examples/h5/shop.js) sends writeKey "demo-shop"; the admin token is new each run
# unless given: make demo DEMO_TOKEN=...
DEMO_WRITE_KEY ?= demo-shop
ifndef DEMO_TOKEN
DEMO_TOKEN := $(shell od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
endif

demo:
	bash scripts/setup.sh
	bash scripts/build.sh
	@echo "Touchpoint demo shop: http://127.0.0.1:$(PORT)/examples/h5/  (Ctrl-C to stop)"
	@echo "  kiosk page:  http://127.0.0.1:$(PORT)/examples/kiosk/?device=screen-01&store=SH-01&idle=60000"
	@echo "  write key:   $(DEMO_WRITE_KEY)"
	@echo "  admin token: $(DEMO_TOKEN)   (curl -H 'Authorization: Bearer $(DEMO_TOKEN)' http://127.0.0.1:$(PORT)/v1/stats)"
	@echo "  dashboard:   http://127.0.0.1:$(PORT)/dashboard/#token=$(DEMO_TOKEN)"
	TP_ADMIN_TOKEN=$(DEMO_TOKEN) ./build-native/touchpoint-collector --port $(PORT) --db touchpoint.db --static . --rules examples/rules/shop-rules.json --write-key $(DEMO_WRITE_KEY)

test:
	bash scripts/test.sh

build:
	bash scripts/setup.sh
	bash scripts/build.sh

# Rebuild dist/ from the sources (commit the result; `make test` fails when it is stale).
dist:
	bash scripts/setup.sh
	bash scripts/build.sh --update-dist

bench:
	bash scripts/setup.sh
	bash scripts/build.sh
	node bench/sdk-bench.mjs
	node bench/wasm-size.mjs --top 15
	node bench/rules-bench.mjs
	node bench/miniprogram-size.mjs
	node bench/reconnect-bench.mjs
	bash scripts/with-postgres.sh node bench/collector-bench.mjs || { [ $$? -eq 77 ] && node bench/collector-bench.mjs --stores sqlite; }
	node bench/reload-bench.mjs

clean:
	rm -rf build-native build-wasm
