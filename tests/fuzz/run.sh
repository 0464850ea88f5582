#!/bin/sh
# run.sh FUZZ_BIN_DIR SECONDS - runs every fuzz target for a while (make fuzz).
# With clang's libFuzzer available one would rebuild with -fsanitize=fuzzer;
# here each gcc-built target runs its own mutation loop over tests/fuzz/corpus.
set -eu
dir=$1; secs=${2:-300}
here=$(cd "$(dirname "$0")" && pwd)
for t in "$dir"/fuzz_*; do
	[ -x "$t" ] || continue
	name=$(basename "$t")
	end=$(( $(date +%s) + secs ))
	seed=1
	while [ "$(date +%s)" -lt "$end" ]; do
		"$t" -runs=200000 -seed=$seed "$here/corpus/${name#fuzz_}" >/dev/null
		seed=$((seed + 1))
	done
	echo "$name: $((seed - 1)) x 200000 mutations, no crash"
done
