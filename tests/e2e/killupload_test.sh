#!/usr/bin/env bash
# killupload_test.sh -- SIGKILL in the middle of uploads, at both ends.
#
# A school sends its bundles to a district hub through faultproxy at
# 8 kB/s (a mountain school's 64 kbit/s) in 1 KiB chunks.  For KILLS
# rounds (default 40), 100 members join and an activity is recorded, and
# the school's daemon (cdsyncd --once) is started and
# killed with SIGKILL at a random moment; every fourth round the hub's
# daemon is killed first, in the middle of the school's upload, and
# started again on the same port.  After each kill both stores pass
# integrity_check.  At the end the school's rounds run until its outbox
# is empty, and then: every activity is at the hub once, the hub's chain
# of the school ends at the school's last bundle, no bundle is held, and
# the KPI figures are the same at both ends.  KILLS=N SEED=S to run more
# or replay.  127.0.0.1 only, ports picked at run time; stops by itself.
set -euo pipefail
B="$CDSYNC_BIN_DIR"
T="$(mktemp -d "${TMPDIR:-/tmp}/cdsync-killup-XXXXXX")"
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	[ -n "${KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT
export LANG=en LANGUAGE= LC_ALL=
export CDSYNC_PASSPHRASE="mat-khau-cua-may"
kills=${KILLS:-40}
RANDOM=${SEED:-$$}
echo "killupload_test: $kills rounds, seed ${SEED:-$$}, in $T"
pass=0 fail=0
check() { if eval "$2"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1" >&2; fi; }
cds() { "$B/cdsync" "$@"; }
fpr() { grep -oE '[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}' | tail -1; }
intact() { [ "$(sqlite3 "$1/store.db" 'PRAGMA integrity_check')" = ok ]; }
await_port() {	# await_port HOME: until the daemon wrote its port (20 s)
	local i
	for i in $(seq 1 200); do [ -s "$1/cdsyncd.port" ] && return 0; sleep 0.1; done
	echo "no $1/cdsyncd.port" >&2; return 1
}
hub() {		# starts the hub's daemon; $hpid its pid
	rm -f "$D/cdsyncd.port"
	"$B/cdsyncd" --home "$D" >>"$D/daemon.log" 2>&1 &
	hpid=$!
	pids+=("$hpid")
	await_port "$D"
}

N="$T/national" D="$T/district" S="$T/school"
cds --home "$N" init --role national --org VN --name "Công đoàn Giáo dục Việt Nam" >/dev/null
root=$(cds --home "$N" catalog show | fpr)
cds --home "$D" init --role hub --org HG-VX --name "Công đoàn Giáo dục huyện Vị Xuyên" --parent VN >/dev/null
f=$(cds --home "$D" enrol request --out "$T/d.cdsq" | fpr)
cds --home "$N" enrol approve "$T/d.cdsq" --fingerprint "$f" --out "$T/d.cdsa" >/dev/null
cds --home "$D" catalog import "$T/d.cdsa" --root-fingerprint "$root" >/dev/null
cds --home "$S" init --role school --org HG-VX-TH-LUNGCU --name "Trường Tiểu học Lũng Cú" --parent HG-VX >/dev/null
f=$(cds --home "$S" enrol request --out "$T/s.cdsq" | fpr)
cds --home "$D" enrol approve "$T/s.cdsq" --fingerprint "$f" --out "$T/s.cdsa" >/dev/null
cds --home "$S" catalog import "$T/s.cdsa" --root-fingerprint "$root" >/dev/null

# 3,000 members: a first bundle of well over 100 KiB, many chunks
awk 'BEGIN { print "Mã;Họ và tên;Năm sinh";
	for (i = 1; i <= 3000; i++) printf "M%05d;Giàng Thị Mỷ %d;%d\n", i, i, 1960 + i % 40 }' \
	>"$T/members.csv"
cds --home "$S" member import "$T/members.csv" >/dev/null

printf 'listen = 127.0.0.1:0\nrollup_at = 00:00\n' >"$D/cdsyncd.conf"
hub
dport=$(cat "$D/cdsyncd.port")
printf 'listen = 127.0.0.1:%s\nrollup_at = 00:00\n' "$dport" >"$D/cdsyncd.conf"
"$B/faultproxy" --listen 127.0.0.1:0 --to "127.0.0.1:$dport" --rate 8000 \
	--max-seconds 600 >"$T/proxy.out" 2>"$T/proxy.err" &
pids+=($!)
for i in $(seq 1 100); do grep -q '^port ' "$T/proxy.out" 2>/dev/null && break; sleep 0.05; done
pport=$(sed -n 's/^port //p' "$T/proxy.out")
printf 'upstream = http://127.0.0.1:%s/\nchunk = 1024\ntimeout = 10\n' "$pport" >"$S/cdsyncd.conf"

hubkills=0 schoolkills=0 broken=0 midway=0
for k in $(seq 1 "$kills"); do
	awk -v k="$k" 'BEGIN { print "Mã;Họ và tên;Năm sinh";
		for (i = 1; i <= 100; i++) printf "N%03d%03d;Sùng Văn Páo %d %d;%d\n", k, i, k, i, 1970 + i % 30 }' \
		>"$T/more.csv"
	cds --home "$S" member import "$T/more.csv" >/dev/null
	cds --home "$S" activity add --held-on "$(printf '%02d' $((k % 28 + 1)))/03/2026" \
		--title "Sinh hoạt công đoàn $k" --kind care --benefit "M$(printf '%05d' $((k % 3000 + 1)))=200000" >/dev/null
	"$B/cdsyncd" --home "$S" --once >>"$S/daemon.log" 2>&1 &
	spid=$!
	# 20 to 800 ms: from the daemon's start to deep in an upload
	sleep "0.$(printf '%03d' $((RANDOM % 780 + 20)))"
	if [ $((k % 4)) -eq 0 ]; then
		kill -9 "$hpid" 2>/dev/null || true
		wait "$hpid" 2>/dev/null || true
		hubkills=$((hubkills + 1))
		sleep 0.05
	fi
	kill -9 "$spid" 2>/dev/null || true
	wait "$spid" 2>/dev/null || true
	schoolkills=$((schoolkills + 1))
	# a part of a bundle acknowledged by the hub: the kill came midway
	m=$(sqlite3 "$S/uplink.db" 'SELECT count(*) FROM resume WHERE offset > 0' 2>/dev/null || echo 0)
	[ "${m:-0}" -gt 0 ] && midway=$((midway + 1))
	intact "$S" || { broken=$((broken + 1)); echo "round $k: the school's store fails integrity_check" >&2; }
	if [ $((k % 4)) -eq 0 ]; then
		intact "$D" || { broken=$((broken + 1)); echo "round $k: the hub's store fails integrity_check" >&2; }
		hub
	fi
done
check "both stores pass integrity_check after every kill ($broken failed)" '[ $broken -eq 0 ]'

# the rounds a daemon would run after its backoff, until the outbox is empty
rounds=0 rc=3
while [ $rc -ne 0 ] && [ $rounds -lt 60 ]; do
	set +e
	"$B/cdsyncd" --home "$S" --once >>"$S/daemon.log" 2>&1
	rc=$?
	set -e
	rounds=$((rounds + 1))
done
check "then the school's outbox empties (exit $rc after $rounds rounds)" '[ $rc -eq 0 ]'
check "the school holds a receipt for every bundle" \
	'cds --home "$S" status --json | grep -q "\"outbox\": 0"'
# the hub has merged what it receipted; a moment for the last merge
for i in $(seq 1 100); do
	[ "$(sqlite3 "$D/store.db" 'SELECT count(*) FROM activity')" = "$kills" ] && break
	sleep 0.1
done
acts=$(sqlite3 "$D/store.db" 'SELECT count(*) FROM activity')
distinct=$(sqlite3 "$D/store.db" 'SELECT count(DISTINCT title) FROM activity')
check "every activity is at the hub ($acts of $kills)" '[ "$acts" = "$kills" ]'
check "none twice ($distinct distinct)" '[ "$distinct" = "$acts" ]'
sealed=$(sqlite3 "$S/store.db" 'SELECT count(*) FROM sync_bundle_out')
chain=$(sqlite3 "$D/store.db" 'SELECT max(last_seq) FROM sync_peer')
check "the hub's chain of the school ends at its last bundle ($chain of $sealed)" '[ "$chain" = "$sealed" ]'
check "no bundle is held at the hub" \
	'[ "$(sqlite3 "$D/store.db" "SELECT count(*) FROM sync_bundle_in WHERE status = '"'held'"'")" = 0 ]'
members=$(sqlite3 "$D/store.db" 'SELECT count(*) FROM member')
check "every member is at the hub once ($members)" '[ "$members" = $((3000 + 100 * kills)) ]'
want=$(cds --home "$S" kpi --period 2025-2026 --json | grep -v '"org"')
got=$(cds --home "$D" kpi --org HG-VX-TH-LUNGCU --period 2025-2026 --json | grep -v '"org"')
check "the same KPI figures at school and hub" '[ "$got" = "$want" ]'
intact "$S" && intact "$D" || { echo "FAIL: integrity at the end" >&2; fail=$((fail + 1)); }
echo "kills: $schoolkills of the school's daemon ($midway with a bundle partly at the hub), $hubkills of the hub's during the school's round; $sealed bundles, $acts activities, $members members"
check "kills came in the middle of uploads ($midway)" '[ $midway -ge 1 ]'
echo "killupload_test: $pass passed, $fail failed"
[ $fail -eq 0 ] || { echo "--- school"; tail -20 "$S/daemon.log"; echo "--- hub"; tail -20 "$D/daemon.log"; } >&2
[ $fail -eq 0 ]
