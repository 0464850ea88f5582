#!/bin/sh
# What one ward says cannot hurt another: a forged refusal of a stream the
# hub relays parks it for that ward only, a refusal of a stream never sent
# to it is ignored, a hello claiming 100 000 foreign streams leaves no trace
# in sync_acked; a change-set with a bad sensitive value is refused without
# the value reaching any log, the wire reason or sync_parked; and
# `taphop sync --unpark` takes effect on a running hub without a restart.
. "$(dirname "$0")/tools/synclib.sh"

build_forge
check "forge tool builds" test -x "$FORGE"
mk_hub && mk_ward w1 an-lac && mk_ward wc binh-tri-dong && mk_ward wb binh-hung-hoa
HUB=$(tp --dir "$T/hub" enroll --show | cut -d' ' -f1)
for i in 1 2; do tp --dir "$T/wb" -q add person --full-name "Người wb $i" --birth-date 2001-01-0$i >/dev/null; done
tp --dir "$T/hub" -q add partner --ward binh-tan --name 'Đoàn phường' --kind enterprise >/dev/null
start hub
start w1
check "w1 connects" wait_for 15 grep -q "ward 'an-lac' connected" "$T/hub.log"
check "w1 holds the district stream" wait_for 15 same_digest binh-tan hub w1
sql() { sqlite3 "$T/hub/replica.db" "$1"; }

# 1. forged refusals from wc; the first one's reason quotes a value, as an
# older ward's would
SECRET="Bí-mật-Zq7x"
"$FORGE" send "$T/wc" "$EP" "$HUBBOX" refuse "$HUB/binh-tan" 8 1 \
	"field 'ethnicity': '$SECRET' is not one of: Kinh" > "$T/refuse1.out" 2>&1
"$FORGE" send "$T/wc" "$EP" "$HUBBOX" refuse "an-lac/an-lac" 4 1 > "$T/refuse2.out" 2>&1
check "forged refusals sent" grep -q "^refused an-lac/an-lac" "$T/refuse2.out"
check "the relayed stream is parked for the refusing ward only" \
	grep -q "stream is parked for 'binh-tri-dong'" "$T/hub.log"
tp --dir "$T/hub" -q add partner --ward binh-tan --name 'Hợp tác xã Bình Tân' --kind enterprise >/dev/null
check "other wards still receive the district stream" wait_for 20 same_digest binh-tan hub w1
tp --dir "$T/w1" -q add person --full-name "Đặng Văn Khoa" --birth-date 2000-07-07 >/dev/null
check "the origin's own stream still applies on the hub" wait_for 20 same_digest an-lac hub w1
check "a refusal of a stream never sent to that ward is ignored" \
	test "$(sql "select count(*) from sync_parked where origin='an-lac'")" = 0

# 6. a bad sensitive value
"$FORGE" send "$T/wb" "$EP" "$HUBBOX" value ethnicity "$SECRET" > "$T/value.out" 2>&1
check "bad value answered with an invalid error" grep -q "^error 8 " "$T/value.out"
check "the answer names the field" grep -q "^error 8 .*ethnicity" "$T/value.out"
check "the answer withholds the value" sh -c "! grep -q '$SECRET' '$T/value.out'"
check "the refusal is logged with its stream" grep -q "refused change-set binh-hung-hoa/binh-hung-hoa#1" "$T/hub.log"
check "no daemon log holds the value" sh -c "! grep -q '$SECRET' '$T'/*.log"
check "hub status shows the parked stream" sh -c "$TP --dir '$T/hub' status | grep -q 'PARKED: stream binh-hung-hoa/binh-hung-hoa'"
check "sync_parked holds no value" test "$(sql "select count(*) from sync_parked where reason like '%Zq7x%'")" = 0
check "sync_parked keeps the field and the rule" test "$(sql "select count(*) from sync_parked where reason like '%ethnicity%not one of%'")" -ge 1
check "nothing of it landed" test -z "$("$TP" --dir "$T/hub" list person --ward binh-hung-hoa 2>/dev/null)"

# 16. --unpark on a running hub
tp --dir "$T/hub" sync --unpark binh-hung-hoa/binh-hung-hoa > "$T/unpark.out" 2>&1
check "--unpark says the other side keeps its own parking" grep -q "ward that parked it" "$T/unpark.out"
check "--unpark asks for no restart" sh -c "! grep -q restart '$T/unpark.out'"
"$FORGE" send "$T/wb" "$EP" "$HUBBOX" next > "$T/next.out" 2>&1
check "the unparked stream is taken again at once" grep -q "^acked" "$T/next.out"
check "and not answered 'parked'" sh -c "! grep -q '^error 10 ' '$T/next.out'"

# 4. a hello claiming streams the hub does not relay to that ward
"$FORGE" send "$T/wc" "$EP" "$HUBBOX" bighello 100000 > "$T/big.out" 2>&1
check "big hello answered" grep -q "^welcome" "$T/big.out"
check "its claims leave no rows in sync_acked" \
	test "$(sql "select count(*) from sync_acked where peer='binh-tri-dong'")" -le 4
kill -0 "$PID_hub" 2>/dev/null && ok "hub survives the big hello" || nok "hub survives the big hello"

done_testing
