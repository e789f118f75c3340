module kafka-wasm-filter/e2e/clients/step

go 1.26.0
