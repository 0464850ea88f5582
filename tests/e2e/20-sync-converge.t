#!/bin/sh
# A hub and three wards converge after offline edits on every side,
# including a concurrent edit of one district-wide record (a conflict is
# recorded), and no ward receives another ward's people.
. "$(dirname "$0")/tools/synclib.sh"

mk_hub && mk_ward w1 an-lac && mk_ward w2 tan-tao && mk_ward w3 binh-tri-dong
check "hub and three wards initialised and enrolled" test -f "$T/w3/taphop.conf"

P=$(tp --dir "$T/hub" -q add partner --ward binh-tan --name 'Ngân hàng Chính sách' --kind bank)
for n in hub w1 w2 w3; do start $n; done
check "all nodes hold the district partner" wait_for 20 same_digest binh-tan hub w1 w2 w3
check "ward status says connected" wait_for 10 sh -c "$TP --dir '$T/w1' status --json | grep -q '\"connected\": true'"
for n in hub w1 w2 w3; do stop $n; done

# offline edits on every side
for i in 1 2 3; do
	tp --dir "$T/w1" -q add person --full-name "Lê Thị An $i" --birth-date 2000-01-0$i >/dev/null
	tp --dir "$T/w2" -q add person --full-name "Trần Văn Bình $i" --birth-date 1999-02-0$i >/dev/null
	tp --dir "$T/w3" -q add person --full-name "Phạm Minh Châu $i" --birth-date 2002-03-0$i >/dev/null
done
tp --dir "$T/hub" -q add partner --ward binh-tan --name 'Trường nghề Bình Tân' --kind vocational_school >/dev/null
tp --dir "$T/w1" -q add partner --ward binh-tan --name 'Doanh nghiệp An Lạc' --kind enterprise >/dev/null
tp --dir "$T/hub" -q edit partner "$P" --name 'Ngân hàng CSXH (hub)' >/dev/null
tp --dir "$T/w2" -q edit partner "$P" --name 'Ngân hàng CSXH (Tân Tạo)' >/dev/null
check "status works with the daemon down" sh -c "$TP --dir '$T/w1' status | grep -q 'waiting to go out: [1-9]'"

for n in hub w1 w2 w3; do start $n; done
check "district scope converges on all four" wait_for 30 same_digest binh-tan hub w1 w2 w3
check "an-lac converges hub/w1" wait_for 10 same_digest an-lac hub w1
check "tan-tao converges hub/w2" wait_for 10 same_digest tan-tao hub w2
check "binh-tri-dong converges hub/w3" wait_for 10 same_digest binh-tri-dong hub w3
check "the concurrent edit is a recorded conflict on the hub" \
	sh -c "$TP --dir '$T/hub' status --json | grep -q '\"open_conflicts\": [1-9]'"
check "the conflict also shows in 'taphop conflicts list'" \
	sh -c "$TP --dir '$T/hub' conflicts list | grep -q partner"
check "w2 holds no person of an-lac" sh -c "[ -z \"\$($TP --dir '$T/w2' list person --ward an-lac 2>/dev/null)\" ]"
check "w1 holds no person of tan-tao" sh -c "[ -z \"\$($TP --dir '$T/w1' list person --ward tan-tao 2>/dev/null)\" ]"
check "nothing waiting on w1 once synced" wait_for 10 sh -c "$TP --dir '$T/w1' status | grep -q 'waiting to go out: 0'"
check "taphop sync nudges a running daemon" sh -c "$TP --dir '$T/w1' sync --wait 10 | grep -q 'asked taphopd'"
check "a second daemon on one data dir is refused" sh -c "! '$B/taphopd' --dir '$T/w1' 2>&1 | grep -q nothing; '$B/taphopd' --dir '$T/w1' 2>&1 | grep -q 'already running'"
stop w1
check "SIGTERM stops cleanly (log says stopped)" grep -q 'stopped' "$T/w1.log"
check "ward status without daemon" sh -c "$TP --dir '$T/w1' status | grep -q 'daemon: *not running'"
done_testing
