#!/bin/sh
# Smoke runs of the fuzz targets (the long run is `make fuzz`): the wire
# envelope from built-in seeds, and the change-set decoder and store_apply
# from real signed change-sets that a replica sealed, mutated.
F=${TAPHOP_FUZZ:-}
if [ -z "$F" ] || [ ! -x "$F/fuzz_envelope" ] || [ ! -x "$F/fuzz_changeset" ]; then
	echo "1..0 # SKIP fuzz targets not built (TAPHOP_FUZZ)"; exit 0
fi
T=$(mktemp -d "${TMPDIR:-/tmp}/taphop-fuzz.XXXXXX")
trap 'rm -rf "$T"' EXIT INT TERM
echo "1..3"
if "$F/fuzz_envelope" -runs=100000 >/dev/null; then
	echo "ok 1 - fuzz_envelope survives 100000 mutations"
else
	echo "not ok 1 - fuzz_envelope crashed"
fi

# a corpus of real change-sets: a ward's writes, split out of a bundle
sh "$(dirname "$0")/../fuzz/corpus.sh" "${TAPHOP_BIN:?}" "$T/corpus" > "$T/n"
if [ "$(cat "$T/n")" -ge 2 ]; then
	echo "ok 2 - a corpus of $(cat "$T/n") signed change-sets"
else
	echo "not ok 2 - no change-sets to fuzz from"
fi
if TMPDIR="$T" "$F/fuzz_changeset" -runs=20000 "$T/corpus" >/dev/null; then
	echo "ok 3 - fuzz_changeset survives 20000 mutations of real change-sets"
else
	echo "not ok 3 - fuzz_changeset crashed"
fi
