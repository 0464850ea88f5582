# synclib.sh - shared helpers of the sync end-to-end tests (20-*.t ...).
# Sourced by the tests; TAP output; real processes on 127.0.0.1; every
# daemon started is killed by the EXIT trap; waits poll, never sleep blind.

B=${TAPHOP_BIN:?TAPHOP_BIN must name the directory of taphop and taphopd}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
T=$(mktemp -d "${TMPDIR:-/tmp}/taphop-e2e.XXXXXX")
PIDS=""
NTEST=0
FAILED=0
export TAPHOP_OPERATOR=e2e
HB=${HB:-300}

cleanup() {
	for p in $PIDS; do kill -9 "$p" 2>/dev/null; done
	wait 2>/dev/null
	if [ "$FAILED" -ne 0 ] && [ -z "${KEEP:-}" ]; then
		for f in "$T"/*.log; do
			[ -f "$f" ] && { echo "# --- $f"; tail -n 15 "$f" | sed 's/^/# /'; }
		done
	fi
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

ok() { NTEST=$((NTEST + 1)); echo "ok $NTEST - $1"; }
nok() { NTEST=$((NTEST + 1)); FAILED=$((FAILED + 1)); echo "not ok $NTEST - $1"; }
check() { _desc=$1; shift; if "$@"; then ok "$_desc"; else nok "$_desc"; fi; }
done_testing() { echo "1..$NTEST"; [ "$FAILED" -eq 0 ]; }

TP=$B/taphop
tp() { "$TP" "$@"; }

free_port() {
	perl -MIO::Socket::INET -e 'print IO::Socket::INET->new(Listen => 1, LocalAddr => "127.0.0.1", LocalPort => 0)->sockport, "\n"'
}

# wait_for SECONDS CMD...: polls CMD every 0.1 s until it succeeds.
wait_for() {
	_wf=$(( $1 * 10 )); shift
	while [ "$_wf" -gt 0 ]; do
		"$@" >/dev/null 2>&1 && return 0
		_wf=$((_wf - 1)); sleep 0.1
	done
	return 1
}

# mk_hub: a hub in $T/hub listening on $PORT.
mk_hub() {
	PORT=$(free_port)
	EP=tcp://127.0.0.1:$PORT
	tp --dir "$T/hub" init --hub >/dev/null || return 1
	HUBKEYS=$(tp --dir "$T/hub" enroll --show | cut -d' ' -f2-)
	HUBBOX=$(echo "$HUBKEYS" | cut -d' ' -f2)
}

# mk_ward NAME CODE [noenroll]: a ward in $T/NAME, enrolled on the hub.
mk_ward() {
	tp --dir "$T/$1" init --ward "$2" >/dev/null || return 1
	[ "${3:-}" = noenroll ] || tp --dir "$T/hub" enroll -- $(tp --dir "$T/$1" enroll --show) >/dev/null || return 1
	tp --dir "$T/$1" enroll --hub "$EP" -- $HUBKEYS >/dev/null
}

# start NAME [args]: runs taphopd on $T/NAME, log in $T/NAME.log.
start() {
	name=$1; shift
	if [ "$name" = hub ]; then set -- --listen "$EP" "$@"; fi
	"$B/taphopd" --dir "$T/$name" --heartbeat-ms "$HB" "$@" 2>>"$T/$name.log" &
	eval "PID_$name=$!"
	PIDS="$PIDS $!"
}

stop() { eval "p=\$PID_$1"; kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; }
kill9() { eval "p=\$PID_$1"; kill -9 "$p" 2>/dev/null; wait "$p" 2>/dev/null; }

digest() { tp --dir "$T/$1" digest --scope "$2"; }
same_digest() { # same_digest SCOPE NAME NAME...
	_sc=$1; shift; _d0=$(digest "$1" "$_sc") || return 1; shift
	for _nd in "$@"; do [ "$(digest "$_nd" "$_sc")" = "$_d0" ] || return 1; done
}
count_log() { tp --dir "$T/$1" log --limit 0 --json 2>/dev/null | perl -MJSON::PP -e 'local $/; print scalar @{decode_json(<STDIN>)}, "\n"'; }

# forge: builds tests/e2e/tools/forge.c once against the built libraries.
FORGE=$T/forge
build_forge() {
	case "$B" in *build-san*) BD=$ROOT/build-san; SAN="-fsanitize=address,undefined";; *) BD=$ROOT/build; SAN="";; esac
	cc -std=c11 -D_GNU_SOURCE -O1 -g $SAN -I"$ROOT" -I"$BD" -o "$FORGE" \
		"$ROOT/tests/e2e/tools/forge.c" "$BD/libtaphopd.a" "$BD/libtaphop.a" \
		$(pkg-config --libs sqlite3 libzmq libprotobuf-c libgit2 libsodium jansson inih) \
		-lcsv -lpthread -lm
}
