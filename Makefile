# The two commands that matter: `make demo` and `make test` (see README.md).
.PHONY: demo test build dist bench clean

PORT ?= 8787

demo:
	bash scripts/setup.sh
	bash scripts/build.sh
	@echo "Touchpoint demo shop: http://127.0.0.1:$(PORT)/examples/h5/  (Ctrl-C to stop)"
	./build-native/touchpoint-collector --port $(PORT) --db touchpoint.db --static . --rules examples/rules/shop-rules.json

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

clean:
	rm -rf build-native build-wasm
