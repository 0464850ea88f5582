#!/bin/sh
# The roster follows the nodes table while sessions run: a ward enrolled
# while others are connected syncs the district scope with them (nobody
# parks it as unknown); a ward revoked while connected loses its session at
# once.  Enroll checks ward codes and keeps a revocation unless --reinstate.
. "$(dirname "$0")/tools/synclib.sh"

mk_hub && mk_ward w1 an-lac && mk_ward w2 tan-tao noenroll
start hub
start w1
check "w1 connects" wait_for 15 grep -q "ward 'an-lac' connected" "$T/hub.log"

# 13. enroll checks
W2KEYS=$(tp --dir "$T/w2" enroll --show | cut -d' ' -f2-)
check "enroll refuses a bad ward code" sh -c "! $TP --dir '$T/hub' enroll -- Tan_Tao $W2KEYS 2>'$T/badcode.err'"
check "and says why" grep -q "Tan_Tao" "$T/badcode.err"

# 2. a ward enrolled while w1 runs
tp --dir "$T/hub" enroll -- tan-tao $W2KEYS >/dev/null
tp --dir "$T/w2" -q add partner --ward binh-tan --name 'Công ty Tân Tạo' --kind enterprise >/dev/null
start w2
check "w2 connects" wait_for 15 grep -q "ward 'tan-tao' connected" "$T/hub.log"
check "the new ward's district change-set reaches the connected ward" wait_for 20 same_digest binh-tan hub w1 w2
check "w1 parked nothing" sh -c "$TP --dir '$T/w1' status | grep -q 'parked streams: *none'"

# 5. revoking a connected ward
tp --dir "$T/hub" enroll --revoke tan-tao > "$T/revoke.out"
check "revoke says the open session ends" grep -q "ends its open session" "$T/revoke.out"
check "the hub ends the revoked ward's session" wait_for 10 grep -q "ward 'tan-tao' is revoked: its session ends" "$T/hub.log"
check "the revoked ward is told" wait_for 10 grep -q "refused by the hub" "$T/w2.log"
check "its status says not connected" wait_for 10 sh -c "$TP --dir '$T/w2' status | grep -q 'connection: *not connected'"
check "w1 still served" sh -c "$TP --dir '$T/hub' status | grep -q 'ward an-lac *connected'"

# 13. a revoked ward stays revoked unless --reinstate
check "re-enrolling a revoked ward is refused" sh -c "! $TP --dir '$T/hub' enroll -- tan-tao $W2KEYS 2>'$T/reenroll.err'"
check "it names --reinstate" grep -q -- "--reinstate" "$T/reenroll.err"
check "still revoked" sh -c "$TP --dir '$T/hub' status | grep -q 'tan-tao.*(revoked)'"
check "--reinstate lifts it" sh -c "$TP --dir '$T/hub' enroll --reinstate -- tan-tao $W2KEYS | grep -q reinstated"
check "no longer revoked" sh -c "! $TP --dir '$T/hub' status | grep -q 'tan-tao.*(revoked)'"
done_testing
