#!/bin/sh
# kill -9 of the hub in the middle of a large sync, and of a ward while it
# applies: after a restart everything converges, with counts and digests
# proving nothing lost and nothing applied twice.  N change-sets: 20000 in
# make check (about 40 s), 100000 under TAPHOP_SOAK=1; SYNC_N overrides.
. "$(dirname "$0")/tools/synclib.sh"

N=${SYNC_N:-20000}
[ -n "${TAPHOP_SOAK:-}" ] && N=${SYNC_N:-100000}
build_forge
mk_hub && mk_ward w1 an-lac && mk_ward w2 tan-tao
check "forge built, nodes made" test -x "$FORGE"
"$FORGE" bulk "$T/w1" "$N" >/dev/null
"$FORGE" bulk "$T/hub" "$N" >/dev/null
check "w1 sealed $N change-sets" test "$(count_log w1)" = "$N"
ncs() { "$TP" --dir "$T/$1" log --limit 0 --origin "$2" --json 2>/dev/null | perl -MJSON::PP -e 'local $/; print scalar @{decode_json(<STDIN>)}, "\n"'; }
past() { [ "$(ncs "$1" "$2")" -ge "$3" ]; }

start hub
start w1
check "hub is mid-sync" wait_for 60 past hub an-lac $((N / 10))
kill9 hub
got=$(ncs hub an-lac)
check "hub killed mid-sync ($got of $N held)" test "$got" -lt "$N"
start hub
check "after restart, an-lac converges" wait_for 120 same_digest an-lac hub w1
check "hub holds exactly $N change-sets of an-lac" test "$(ncs hub an-lac)" = "$N"
check "the district stream reached w1 too" wait_for 120 same_digest binh-tan hub w1
check "w1 holds exactly $N of the hub's" test "$(ncs w1 binh-tan)" = "$N"

start w2
check "w2 is applying" wait_for 60 past w2 binh-tan $((N / 10))
kill9 w2
got=$(ncs w2 binh-tan)
check "w2 killed while applying ($got of $N held)" test "$got" -lt "$N"
start w2
check "after restart, w2 converges" wait_for 120 same_digest binh-tan hub w2
check "w2 holds exactly $N of the hub's" test "$(ncs w2 binh-tan)" = "$N"
check "nothing waiting on w1" wait_for 20 sh -c "$TP --dir '$T/w1' status | grep -q 'waiting to go out: 0'"
done_testing
