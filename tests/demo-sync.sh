#!/bin/sh
# demo-sync.sh BINDIR - a hub and three wards on loopback with sample data:
# edits in a ward while the hub is down, then the hub starts and everyone
# converges (polled, not slept), each node's status is printed, and all
# daemons stop cleanly.
set -eu
B=${1:?usage: demo-sync.sh BINDIR}
T=$(mktemp -d "${TMPDIR:-/tmp}/taphop-demo.XXXXXX")
PIDS=""
trap 'for p in $PIDS; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$T"' EXIT
export TAPHOP_OPERATOR=demo
tp() { "$B/taphop" "$@"; }
PORT=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
EP=tcp://127.0.0.1:$PORT
tp --dir "$T/hub" -q init --hub >/dev/null
HUBKEYS=$(tp --dir "$T/hub" enroll --show | cut -d' ' -f2-)
for w in an-lac tan-tao binh-tri-dong; do
	tp --dir "$T/$w" -q init --ward $w >/dev/null
	tp --dir "$T/hub" -q enroll -- $(tp --dir "$T/$w" enroll --show)
	tp --dir "$T/$w" -q enroll --hub "$EP" -- $HUBKEYS
done
echo "== hub down: wards register people offline"
tp --dir "$T/an-lac" -q add person --full-name 'Nguyễn Văn Đức' --birth-date 2001-05-12 >/dev/null
tp --dir "$T/tan-tao" -q add person --full-name 'Trần Thị Hoa' --birth-date 2000-02-03 >/dev/null
tp --dir "$T/binh-tri-dong" -q add partner --ward binh-tan --name 'Trường nghề Bình Tân' --kind vocational_school >/dev/null
for n in an-lac tan-tao binh-tri-dong; do "$B/taphopd" --dir "$T/$n" --heartbeat-ms 500 2>>"$T/$n.log" & PIDS="$PIDS $!"; done
tp --dir "$T/an-lac" status | sed 's/^/  /'
echo "== the hub starts"
"$B/taphopd" --dir "$T/hub" --listen "$EP" --heartbeat-ms 500 2>>"$T/hub.log" & PIDS="$PIDS $!"
agree() {
	d=$(tp --dir "$T/hub" digest --scope binh-tan)
	for w in an-lac tan-tao binh-tri-dong; do
		[ "$(tp --dir "$T/$w" digest --scope binh-tan)" = "$d" ] || return 1
		[ "$(tp --dir "$T/$w" digest --scope $w)" = "$(tp --dir "$T/hub" digest --scope $w)" ] || return 1
	done
}
i=0; until agree; do i=$((i + 1)); [ $i -lt 300 ] || { echo "no convergence" >&2; exit 1; }; sleep 0.1; done
echo "== converged: every digest agrees on what it shares"
for n in hub an-lac tan-tao binh-tri-dong; do echo "-- $n"; tp --dir "$T/$n" status | sed 's/^/  /'; done
for p in $PIDS; do kill "$p"; done; wait; PIDS=""
echo "== all daemons stopped"
