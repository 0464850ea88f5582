#!/bin/sh
# corpus.sh BIN_DIR OUT_DIR - writes real signed change-sets, one per file,
# into OUT_DIR: a fresh ward's writes (people, a district partner), split out
# of a bundle.  Prints how many.  The fuzz targets mutate these.
set -eu
TP=${1:?usage: corpus.sh BIN_DIR OUT_DIR}/taphop
OUT=${2:?usage: corpus.sh BIN_DIR OUT_DIR}
W=$(mktemp -d "${TMPDIR:-/tmp}/taphop-corpus.XXXXXX")
trap 'rm -rf "$W"' EXIT INT TERM
export TAPHOP_OPERATOR=fuzz
"$TP" --dir "$W/w" -q init --ward an-lac >/dev/null
for i in 1 2 3; do
	"$TP" --dir "$W/w" -q add person --full-name "Nguyễn Văn Đức $i" \
		--birth-date 2001-05-1$i --citizen-id 07920100123$i >/dev/null
done
"$TP" --dir "$W/w" -q add partner --ward binh-tan --name "Ngân hàng" --kind bank >/dev/null
"$TP" --dir "$W/w" -q edit person "$("$TP" --dir "$W/w" --json find "duc 1" |
	perl -MJSON::PP -e 'local $/; print decode_json(<STDIN>)->[0]{id}')" \
	--phone 0903123456 --reason "số mới" >/dev/null
"$TP" --dir "$W/w" -q bundle export "$W/b.tpb" >/dev/null 2>&1
mkdir -p "$OUT"
perl -e 'local $/; open my $f, "<", $ARGV[0] or die; my $b = <$f>;
	$b =~ s/^taphop-bundle-1\n// or die "not a bundle\n"; my $i = 0;
	while (length $b >= 4) { my $n = unpack "N", $b; my $cs = substr $b, 4, $n;
		open my $o, ">", "$ARGV[1]/cs" . $i++ or die; print $o $cs; close $o;
		$b = substr $b, 4 + $n; }
	print "$i\n"' "$W/b.tpb" "$OUT"
