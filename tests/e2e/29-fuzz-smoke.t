#!/bin/sh
# Smoke run of the envelope fuzz target (the long run is `make fuzz`).
F=${TAPHOP_FUZZ:-}
if [ -z "$F" ] || [ ! -x "$F/fuzz_envelope" ]; then
	echo "1..0 # SKIP fuzz targets not built (TAPHOP_FUZZ)"; exit 0
fi
echo "1..1"
if "$F/fuzz_envelope" -runs=100000 >/dev/null; then
	echo "ok 1 - fuzz_envelope survives 100000 mutations"
else
	echo "not ok 1 - fuzz_envelope crashed"
fi
