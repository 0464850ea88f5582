#!/bin/sh
# run.sh FUZZ_BIN_DIR SECONDS [BIN_DIR] - runs every fuzz target for a while
# (make fuzz).  With BIN_DIR (taphop), fuzz_changeset starts from real signed
# change-sets (corpus.sh) besides the built-in seeds.
# With clang's libFuzzer available one would rebuild with -fsanitize=fuzzer;
# here each gcc-built target runs its own mutation loop over tests/fuzz/corpus.
set -eu
dir=$1; secs=${2:-300}; bin=${3:-}
here=$(cd "$(dirname "$0")" && pwd)
corpus=$(mktemp -d "${TMPDIR:-/tmp}/taphop-fuzz-corpus.XXXXXX")
trap 'rm -rf "$corpus"' EXIT INT TERM
mkdir -p "$corpus/changeset" "$corpus/envelope"
[ -n "$bin" ] && sh "$here/corpus.sh" "$bin" "$corpus/changeset" >/dev/null
for t in "$dir"/fuzz_*; do
	[ -x "$t" ] || continue
	name=$(basename "$t")
	end=$(( $(date +%s) + secs ))
	seed=1
	while [ "$(date +%s)" -lt "$end" ]; do
		"$t" -runs=200000 -seed=$seed "$corpus/${name#fuzz_}" >/dev/null
		seed=$((seed + 1))
	done
	echo "$name: $((seed - 1)) x 200000 mutations, no crash"
done
