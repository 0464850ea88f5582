#!/bin/sh
# run.sh - runs every benchmark binary present (make bench).
#
#   sh tests/bench/run.sh BENCH_DIR BIN_DIR
#
# Runs bench_replica, bench_sync and bench_archive in that order when they
# exist in BENCH_DIR, then any other bench_* there.  Sizes come from the
# environment and pass through unchanged (TAPHOP_BENCH_N for bench_replica,
# whatever the others document; TAPHOP_SEED too).  BIN_DIR (taphop,
# taphopd) is exported as TAPHOP_BIN for benches that start processes.
# Exits 1 if a benchmark failed to run; a missed goal is printed by the
# benchmark itself and is not a failure here.
set -u

if [ $# -ne 2 ]; then
	echo "usage: sh tests/bench/run.sh BENCH_DIR BIN_DIR" >&2
	exit 2
fi
BENCH_DIR=$1
TAPHOP_BIN=$2
export TAPHOP_BIN

fail=0
ran=0
run_one() {
	b=$1
	[ -x "$b" ] || return 0
	echo "== $(basename "$b")"
	ran=$((ran + 1))
	if ! "$b"; then
		echo "$(basename "$b"): FAILED" >&2
		fail=1
	fi
}

for name in bench_replica bench_sync bench_archive; do
	run_one "$BENCH_DIR/$name"
done
for b in "$BENCH_DIR"/bench_*; do
	case $(basename "$b") in
	bench_replica | bench_sync | bench_archive) ;;
	*) run_one "$b" ;;
	esac
done
if [ "$ran" -eq 0 ]; then
	echo "run.sh: no benchmark in '$BENCH_DIR'" >&2
	exit 1
fi
exit $fail
