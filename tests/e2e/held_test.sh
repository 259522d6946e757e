#!/usr/bin/env bash
# held_test.sh -- a bundle the hub holds for a gap is not sent again: the
# school's next rounds ask for its receipt by conditional GET (GET
# /receipt/HASH, If-None-Match) and get 304 until the gap is filled; then
# the new receipt ("merged") comes down and the bundle leaves the outbox.
# The gap: the school's first bundle (a long member list) is larger than
# the hub takes over the network (max_upload), so it goes by USB.
# Everything listens on 127.0.0.1 with ports picked at run time.
set -euo pipefail
B="$CDSYNC_BIN_DIR"
T="$(mktemp -d "${TMPDIR:-/tmp}/cdsync-held-XXXXXX")"
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	[ -n "${KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT
export LANG=en LANGUAGE= LC_ALL=
export CDSYNC_PASSPHRASE="mat-khau-cua-may"
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $1" >&2; }
check() { if eval "$2"; then ok; else bad "$1"; fi; }	# check NAME COND
cds() { "$B/cdsync" "$@"; }
fpr() { grep -oE '[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}' | tail -1; }
outbox() { cds --home "$S" status --json | sed -n 's/.*"outbox": \([0-9]*\).*/\1/p' | head -1; }
# round N: one round of the school's daemon, its log in $T/round-N.log
round() {
	set +e
	"$B/cdsyncd" --home "$S" --once >"$T/round-$1.log" 2>&1
	set -e
}

N="$T/national" S="$T/school"
cds --home "$N" init --role national --org VN --name "Công đoàn Giáo dục Việt Nam" >/dev/null
root=$(cds --home "$N" catalog show | fpr)
cds --home "$S" init --role school --org HG-TH-LUNGCU --name "Trường Tiểu học Lũng Cú" --parent VN >/dev/null
f=$(cds --home "$S" enrol request --out "$T/s.cdsq" | fpr)
cds --home "$N" enrol approve "$T/s.cdsq" --fingerprint "$f" --out "$T/s.cdsa" >/dev/null
cds --home "$S" catalog import "$T/s.cdsa" --root-fingerprint "$root" >/dev/null

# bundle 1: 3,000 members, far more than the hub's 16 KiB limit
awk 'BEGIN { print "Mã;Họ và tên;Năm sinh";
	for (i = 1; i <= 3000; i++) printf "M%05d;Giàng Thị Mỷ %d;%d\n", i, i, 1960 + i % 40 }' \
	>"$T/members.csv"
cds --home "$S" member import "$T/members.csv" >/dev/null
cds --home "$S" export --out "$T/usb-1" >/dev/null
# bundle 2: 800 more members and an activity, under the limit
awk 'BEGIN { print "Mã;Họ và tên;Năm sinh";
	for (i = 3001; i <= 3800; i++) printf "M%05d;Sùng Văn Páo %d;%d\n", i, i, 1960 + i % 40 }' \
	>"$T/more.csv"
cds --home "$S" member import "$T/more.csv" >/dev/null
cds --home "$S" activity add --held-on 20/01/2026 --title "Tết Sum vầy 2026" --kind care \
	--benefit M00001=500000 --benefit M00002=500000 >/dev/null

printf 'listen = 127.0.0.1:0\nmax_upload = 16384\n' >"$N/cdsyncd.conf"
"$B/cdsyncd" --home "$N" >>"$N/daemon.log" 2>&1 &
pids+=($!)
for i in $(seq 1 200); do [ -s "$N/cdsyncd.port" ] && break; sleep 0.1; done
printf 'upstream = http://127.0.0.1:%s/\nlog = debug\n' "$(cat "$N/cdsyncd.port")" >"$S/cdsyncd.conf"

# ==== Round 1: bundle 1 refused (413), bundle 2 held for the gap =========
round 1
check "bundle 1 is refused as too large" 'grep -q "refused it: .*ETOOBIG" "$T/round-1.log"'
check "bundle 2 is sent and its receipt kept" 'grep -q "000002.cdsb sent: .*receipt kept" "$T/round-1.log"'
check "both stay in the outbox" '[ "$(outbox)" = 2 ]'
size2=$(sed -n 's/.*000002.cdsb sent: \([0-9]*\) bytes.*/\1/p' "$T/round-1.log")

# ==== Rounds 2 and 3: the receipt asked again, not the bundle sent =======
round 2
round 3
for r in 2 3; do
	check "round $r: bundle 2 still held, by a 304" 'grep -q "000002.cdsb: still held at the hub" "$T/round-$r.log"'
	check "round $r: bundle 2 not sent again" '! grep -q "000002.cdsb sent" "$T/round-$r.log"'
done
wire3=$(sed -n 's/.*nothing sent up, \([0-9]*\) bytes on the wire.*/\1/p' "$T/round-3.log")
check "round 3 sent a tenth of bundle 2 or less ($wire3 bytes on the wire, bundle 2 has $size2)" \
	'[ -n "$wire3" ] && [ $((wire3 * 10)) -le "$size2" ]'

# ==== The gap filled by USB: the hub merges 1, then the held 2 ===========
cds --home "$N" import "$T/usb-1" >/dev/null
round 4
check "round 4: the new receipt of bundle 2 came down" 'grep -q "000002.cdsb: a new receipt came down" "$T/round-4.log"'
check "bundle 2 left the outbox; bundle 1 waits for its receipt" '[ "$(outbox)" = 1 ]'
check "uplink.db forgot the held bundle" \
	'[ "$(sqlite3 "$S/uplink.db" "SELECT count(*) FROM held")" = 0 ]'
cds --home "$N" export --out "$T/usb-2" >/dev/null
cds --home "$S" import "$T/usb-2" >/dev/null
check "the receipts on the stick empty the outbox" '[ "$(outbox)" = 0 ]'
want=$(cds --home "$S" kpi --period 2025-2026 --json | grep -v '"org"')
got=$(cds --home "$N" kpi --org HG-TH-LUNGCU --period 2025-2026 --json | grep -v '"org"')
check "the national hub has the school's figures" '[ "$got" = "$want" ]'

echo "held_test: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
