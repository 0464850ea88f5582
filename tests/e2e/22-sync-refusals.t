#!/bin/sh
# The hub refuses what it must, says why, logs it, and keeps serving:
# an unenrolled key, a version mismatch, a bad signature, a sequence gap, a
# broken chain, a ward writing another ward's scope (parked, shown by
# status), malformed/truncated/oversized messages; duplicated, reordered
# and replayed batches change nothing.
. "$(dirname "$0")/tools/synclib.sh"

build_forge
check "forge tool builds" test -x "$FORGE"
mk_hub
for p in "w1 an-lac" "w2 tan-tao" "wb binh-hung-hoa" "wg binh-hung-hoa-a" \
	 "wc binh-tri-dong-a" "ws tan-tao-a" "wv binh-hung-hoa-b"; do
	mk_ward $p || nok "mk_ward $p"
done
mk_ward wu an-lac-a noenroll
for w in wb wg wc ws; do
	for i in 1 2; do tp --dir "$T/$w" -q add person --full-name "Người $w $i" --birth-date 2001-01-0$i >/dev/null; done
done
start hub
start w1
check "w1 connects" wait_for 15 grep -q "ward 'an-lac' connected" "$T/hub.log"
HUBLIST() { "$TP" --dir "$T/hub" list person --ward "$1" 2>/dev/null; }

"$FORGE" send "$T/wb" "$EP" "$HUBBOX" badsig > "$T/badsig.out" 2>&1
check "bad signature answered with a signature error" grep -q "^error 4 " "$T/badsig.out"
check "bad signature logged with the stream" grep -q "refused change-set binh-hung-hoa/binh-hung-hoa#1" "$T/hub.log"
check "nothing of it landed" test -z "$(HUBLIST binh-hung-hoa)"
check "hub status shows the parked stream" sh -c "$TP --dir '$T/hub' status | grep -q 'PARKED: stream binh-hung-hoa/binh-hung-hoa'"

"$FORGE" send "$T/wg" "$EP" "$HUBBOX" gap > "$T/gap.out" 2>&1
check "sequence gap answered with a gap error" grep -q "^error 5 " "$T/gap.out"
check "nothing of the gap landed" test -z "$(HUBLIST binh-hung-hoa-a)"

"$FORGE" send "$T/wc" "$EP" "$HUBBOX" chain > "$T/chain.out" 2>&1
check "broken chain answered with a chain error" grep -q "^error 6 " "$T/chain.out"
check "nothing of the broken chain landed" test -z "$(HUBLIST binh-tri-dong-a)"

"$FORGE" send "$T/ws" "$EP" "$HUBBOX" scope an-lac > "$T/scope.out" 2>&1
check "another ward's scope answered with a scope error" grep -q "^error 7 " "$T/scope.out"
check "scope refusal logged with its reason" grep -q "refused change-set tan-tao-a/an-lac#1 from 'tan-tao-a'" "$T/hub.log"
check "nothing landed in an-lac" test -z "$(HUBLIST an-lac)"

"$FORGE" send "$T/wv" "$EP" "$HUBBOX" version > "$T/version.out" 2>&1
check "version mismatch answered clearly" grep -q "^error 2 version mismatch" "$T/version.out"
check "version mismatch logged on the hub" grep -q "it speaks protocol 99" "$T/hub.log"

for m in garbage truncated unknown empty oversized; do
	"$FORGE" send "$T/wv" "$EP" "$HUBBOX" $m > "$T/$m.out" 2>&1
done
check "malformed messages logged" grep -q "malformed message from 'binh-hung-hoa-b'" "$T/hub.log"
check "unknown fields refused" grep -q "unknown field" "$T/hub.log"
kill -0 "$PID_hub" 2>/dev/null && ok "hub survives malformed and oversized input" || nok "hub survives malformed and oversized input"

start wu
check "unenrolled key refused and logged" wait_for 10 grep -q "transport key .* is not enrolled" "$T/hub.log"
check "unenrolled ward is not connected" sh -c "$TP --dir '$T/wu' status | grep -q 'connection: *not connected'"
refused() { "$TP" --dir "$T/wu" status | grep -q "refused by the hub at .*not enrolled there"; }
check "the unenrolled ward's status says the hub refused its key" wait_for 10 refused
check "and its log says so" grep -q "error: refused by the hub" "$T/wu.log"

start w2
tp --dir "$T/w1" -q add person --full-name "Võ Thị Mai" --birth-date 2003-04-05 >/dev/null
check "other wards are still served" wait_for 20 same_digest an-lac hub w1
check "and w2 too" wait_for 20 same_digest binh-tan hub w2

# duplicated, reordered and replayed batches
stop w1
before=$(digest hub an-lac); nbefore=$(count_log hub)
"$FORGE" send "$T/w1" "$EP" "$HUBBOX" replay > "$T/replay.out" 2>&1
grep "^error" "$T/replay.out" | sort | uniq -c | head -5 | sed "s/^/# /"
check "replay ran" grep -q "^replayed" "$T/replay.out"
check "replay refused nothing (only gaps, never parked)" sh -c "! grep '^error' '$T/replay.out' | grep -vq '^error 5 '"
check "replayed batches leave the content unchanged" test "$(digest hub an-lac)" = "$before"
check "replayed batches store nothing twice" test "$(count_log hub)" = "$nbefore"
check "an-lac stream not parked" sh -c "! $TP --dir '$T/hub' status | grep -q 'PARKED: stream an-lac'"
done_testing
