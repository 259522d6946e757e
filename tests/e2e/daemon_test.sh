#!/usr/bin/env bash
# daemon_test.sh -- cdsyncd end to end on 127.0.0.1: a national hub, a
# district hub and a school node, built on enrolment alone; the school's
# link to the district and the district's link to the national hub run
# through faultproxy, cut every 64 KiB.  A school year with a large member
# list goes up by itself; checked: every bundle receipted at the school,
# the same KPI figures at school and national hub, uploads resumed (not
# restarted) after the cuts, a district hub killed and started again loses
# nothing; the district's signed snapshots go up with their checkpoints
# and the national hub recounts them the same (also after a 409 for a
# proof from the wrong size), and names the figure of one made from a
# store changed behind its change log; SIGHUP reloads, SIGTERM stops
# cleanly.  Everything listens on
# 127.0.0.1 with ports picked at run time and stops by itself.
set -euo pipefail
B="$CDSYNC_BIN_DIR"
T="$(mktemp -d "${TMPDIR:-/tmp}/cdsync-daemon-XXXXXX")"
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
# waits until FILE exists (at most 20 s)
await_file() {
	local i
	for i in $(seq 1 200); do [ -s "$1" ] && return 0; sleep 0.1; done
	echo "no $1" >&2; return 1
}
# a faultproxy to 127.0.0.1:$1 with more options; $last is its port
proxy() {
	local to="$1" log="$T/proxy-$1" i
	shift
	"$B/faultproxy" --listen 127.0.0.1:0 --to "127.0.0.1:$to" \
		--max-seconds 200 "$@" >"$log.out" 2>"$log.err" &
	pids+=($!)
	for i in $(seq 1 100); do
		grep -q '^port ' "$log.out" 2>/dev/null && break
		sleep 0.05
	done
	last=$(sed -n 's/^port //p' "$log.out")
}
# send_up: the school's rounds (as its daemon would run them after each
# backoff) until its outbox is empty, at most 60; $rc the last exit code,
# $rounds how many
send_up() {
	rounds=0 rc=3
	while [ $rc -eq 3 ] && [ $rounds -lt 60 ]; do
		set +e
		"$B/cdsyncd" --home "$S" --once >>"$S/daemon.log" 2>&1
		rc=$?
		set -e
		rounds=$((rounds + 1))
		[ $rc -eq 3 ] && sleep "${1:-0}"
	done
	return 0
}
# await_figures: until the national hub has the school's KPI figures (at
# most 30 s); $got and $want are left for the check
await_figures() {
	local i
	want=$(cds --home "$S" kpi --period 2025-2026 --json | grep -v '"org"')
	got=""
	for i in $(seq 1 150); do
		got=$(cds --home "$N" kpi --org HG-VX-TH-LUNGCU --period 2025-2026 --json 2>/dev/null | grep -v '"org"' || true)
		[ "$got" = "$want" ] && return 0
		sleep 0.2
	done
	return 0
}
daemon() {	# daemon HOME: starts cdsyncd in the background; $last its pid
	"$B/cdsyncd" --home "$1" >>"$1/daemon.log" 2>&1 &
	last=$!
	pids+=("$last")
}

# ==== The tree, on enrolment alone ======================================
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
# (the national hub learns the school's key from the district's sheet,
# which the district's daemon sends up before the bundles)

# ==== A school year, with a large member list ===========================
# 4,000 members make a bundle of well over 64 KiB, so the uploads are cut
# several times on the way.
awk 'BEGIN { srand(7); split("Nguyễn Trần Lê Phạm Hoàng Vàng Giàng Sùng Lò Hầu", h, " ");
	split("Văn Thị Minh Thu Hải Mỷ Páo Chứ Sính Dế", m, " ");
	split("An Bình Chi Dung Giang Hà Khánh Lan Mai Nam", g, " ");
	print "Mã;Họ và tên;Năm sinh";
	for (i = 1; i <= 4000; i++)
		printf "M%05d;%s %s %s %d;%d\n", i, h[int(rand()*10)+1], m[int(rand()*10)+1], g[int(rand()*10)+1], i, 1960 + int(rand()*40) }' \
	>"$T/members.csv"
cds --home "$S" member import "$T/members.csv" >/dev/null
cds --home "$S" activity add --held-on 20/01/2026 --title "Tết Sum vầy 2026" --kind care \
	--benefit M00001=500000 --benefit M00002=500000 >/dev/null
cds --home "$S" plan add --school-year 2025-2026 --title "Kế hoạch năm học" >/dev/null

# ==== The daemons =======================================================
printf 'listen = 127.0.0.1:0\nrollup_at = 00:00\n' >"$N/cdsyncd.conf"
daemon "$N"; npid=$last
await_file "$N/cdsyncd.port"
nport=$(cat "$N/cdsyncd.port")
proxy "$nport" --cut-every 65536; p1=$last
cat >"$D/cdsyncd.conf" <<EOF
listen = 127.0.0.1:0
upstream = http://127.0.0.1:$p1/
rollup_at = 00:00
interval = 1
backoff_base = 1
backoff_cap = 2
log = debug
EOF
daemon "$D"; dpid=$last
await_file "$D/cdsyncd.port"
dport=$(cat "$D/cdsyncd.port")
proxy "$dport" --cut-every 65536; p2=$last
cat >"$S/cdsyncd.conf" <<EOF
upstream = http://127.0.0.1:$p2/
EOF

# The school sends by rounds (as a daemon would after each backoff):
# each cut ends a round, the next goes on from the hub's offset.
send_up
check "the school's outbox empties (exit $rc after $rounds rounds)" '[ $rc -eq 0 ]'
check "the links were cut on the way" '[ $rounds -gt 1 ]'
check "the school kept the district's receipts" \
	'cds --home "$S" status --json | grep -q "\"outbox\": 0"'
check "uploads resumed, not restarted" '! grep -q "starts over" "$S/daemon.log"'

# ==== Up to the national hub, by itself ==================================
await_figures
check "the national hub has the school's figures" '[ "$got" = "$want" ]'
check "the district took the school's bundle in" 'grep -q "taken in" "$D/daemon.log"'
check "the district's catalog went up before its bundles" \
	'grep -q "catalog sheets from below taken in" "$N/daemon.log"'

# ==== A district hub killed and started again ============================
cds --home "$S" activity add --held-on 15/03/2026 --title "Hội thao" --kind culture >/dev/null
kill -9 "$dpid"
set +e
"$B/cdsyncd" --home "$S" --once >>"$S/daemon.log" 2>&1
rc=$?
set -e
check "with the district down, the school keeps its bundle (exit $rc)" '[ $rc -eq 3 ]'
check "status says the daemon is trying again" \
	'cds --home "$S" status | grep -q "The daemon is trying again after 1 failure(s); the last: "'
check "status --json says so too" \
	'cds --home "$S" status --json | grep -q "\"retrying\": true"'
rm -f "$D/cdsyncd.port"
sed -i "s/^listen = .*/listen = 127.0.0.1:$dport/" "$D/cdsyncd.conf"
daemon "$D"; dpid=$last
await_file "$D/cdsyncd.port"
send_up 0.3
check "after the restart the bundle goes up (exit $rc)" '[ $rc -eq 0 ]'
check "status shows the last contact" \
	'cds --home "$S" status | grep -qE "Last contact with the upper hub: [0-9]{2}/[0-9]{2}/[0-9]{4}"'
check "and no more retrying" '! cds --home "$S" status | grep -q "trying again"'
await_figures
check "and on to the national hub" '[ "$got" = "$want" ]'

# ==== A new school enrols over the network ===============================
# No stick: it sends its request to the district, whose operator approves
# it (the fingerprint read out by phone); its next round takes the
# catalog down, checked with the root's fingerprint, and sends its year.
S2="$T/school2"
cds --home "$S2" init --role school --org HG-VX-TH-THANHDUC --name "Trường Tiểu học Thanh Đức" --parent HG-VX >/dev/null
cds --home "$S2" activity add --held-on 10/10/2025 --title "Đại hội công đoàn" --kind propaganda >/dev/null
printf 'upstream = http://127.0.0.1:%s/\n' "$dport" >"$S2/cdsyncd.conf"
set +e
"$B/cdsyncd" --home "$S2" --once >>"$S2/daemon.log" 2>&1; rc=$?
set -e
check "without root_fingerprint a school not enrolled says what to do (exit $rc)" \
	'[ $rc -eq 1 ] && grep -q "set .root_fingerprint. in cdsyncd.conf" "$S2/daemon.log"'
printf 'root_fingerprint = %s\n' "$root" >>"$S2/cdsyncd.conf"
set +e
"$B/cdsyncd" --home "$S2" --once >>"$S2/daemon.log" 2>&1; rc=$?
set -e
check "a school not enrolled sends its request and waits (exit $rc)" '[ $rc -eq 3 ]'
req=$(ls "$D"/enrol/HG-VX-TH-THANHDUC-*.cdsq 2>/dev/null | head -1)
check "the district keeps the request for its operator" '[ -n "$req" ]'
check "and logs how to approve it" 'grep -q "approve it with .cdsync enrol approve" "$D/daemon.log"'
f2=$(grep -oE "fingerprint [0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}" "$S2/daemon.log" | head -1 | cut -d' ' -f2)
check "the school says which fingerprint to read out" '[ -n "$f2" ]'
set +e
"$B/cdsyncd" --home "$S2" --once >>"$S2/daemon.log" 2>&1; rc=$?
set -e
check "before the approval it waits (exit $rc)" \
	'[ $rc -eq 3 ] && grep -q "not enrolled yet: the upper union has not approved" "$S2/daemon.log"'
check "and sends its request once" '[ "$(grep -c "enrolment request sent" "$S2/daemon.log")" -eq 1 ]'
cds --home "$D" enrol approve "$req" --fingerprint "$f2" --out "$T/s2.cdsa" >/dev/null
S_SAVE="$S"; S="$S2"; send_up 0.3; S="$S_SAVE"
check "approved: the school enrols and sends its year (exit $rc)" \
	'[ $rc -eq 0 ] && grep -q "enrolled: the upper union approved this node" "$S2/daemon.log"'
want2=$(cds --home "$S2" kpi --period 2025-2026 --json | grep -v '"org"')
for i in $(seq 1 150); do
	got2=$(cds --home "$N" kpi --org HG-VX-TH-THANHDUC --period 2025-2026 --json 2>/dev/null | grep -v '"org"' || true)
	[ "$got2" = "$want2" ] && break
	sleep 0.2
done
check "and its figures reach the national hub" '[ "$got2" = "$want2" ]'

# ==== A revocation while a bundle is on its way ==========================
# The national hub is down; the district takes the school's next bundle
# in, then revokes the school's key (a lost laptop).  When the national
# hub is back, the bundle arrives after the revocation, but the district
# vouches (its receipt, in the upload) that it logged it before: it counts.
kill -TERM "$npid"
set +e; wait "$npid"; set -e
cds --home "$S" activity add --held-on 20/04/2026 --title "Tập huấn chế độ chính sách" --kind training >/dev/null
send_up
check "the district takes the bundle while the national hub is down" '[ $rc -eq 0 ]'
cds --home "$D" enrol revoke HG-VX-TH-LUNGCU --reason "mất máy" >/dev/null
sleep 1
rm -f "$N/cdsyncd.port"
echo "listen = 127.0.0.1:$nport" >"$N/cdsyncd.conf"
daemon "$N"; npid=$last
await_file "$N/cdsyncd.port"
await_figures
check "logged before the revocation, it counts at the national hub" '[ "$got" = "$want" ]'
check "the national hub refused nothing" '! grep -q "refused" "$N/daemon.log"'

# ==== The nightly rollup ================================================
# rollup_at = 00:00 has always passed today: the national hub ran it once
# after it started.  By hand now, then the figures it keeps.
check "the national hub ran the nightly rollup by itself" \
	'grep -q "the nightly rollup: " "$N/daemon.log"'
cds --home "$N" rollup >/dev/null
a=$(cds --home "$N" kpi --org HG-VX-TH-LUNGCU --period 2025-2026 --json | grep -v '"org"')
b=$(cds --home "$N" kpi --org HG-VX-TH-LUNGCU --period 2025-2026 --rollup --json | grep -v '"org"')
check "the rollup keeps the school's figures as counted from its records" '[ "$a" = "$b" ]'
check "cdsync status says when the last rollup ran" \
	'cds --home "$N" status --json | grep -qE "\"rollup_ms\": [1-9]"'

# ==== Signed figures, checked above ======================================
# The district signed a snapshot after its rollup at start and its daemon
# sent it up; now one by hand, with the school's bundles in it: the
# national hub takes its checkpoint, recounts its figures from the
# school's bundles, and finds them the same.
check "the district signed its nightly snapshot" \
	'grep -q "the nightly snapshot: " "$D/daemon.log"'
snaps() {	# snaps STATE: the snapshots the national hub took in that state
	cds --home "$N" snapshot list --json | grep -o "\"state\": \"$1\"" | wc -l
}
await_snaps() {	# await_snaps STATE N
	for i in $(seq 1 150); do
		[ "$(snaps "$1")" -ge "$2" ] && return 0
		sleep 0.1
	done
	return 1
}
cds --home "$D" snapshot make >/dev/null
await_snaps same 2 || true
check "the national hub recounted the district's snapshot: the same figures" \
	'[ "$(snaps same)" -ge 2 ]'
check "the district's checkpoint went up first" \
	'grep -q "snapshot-HG-VX-[0-9]*.cdss sent up" "$D/daemon.log"'
# the district forgets the size the national hub holds (uplink.db lost):
# the hub answers 409 with it, and the district sends the proof from it
sqlite3 "$D/uplink.db" "DELETE FROM state WHERE key IN ('up_size', 'snapshot_sent')"
cds --home "$S2" activity add --held-on 20/04/2026 --title "Thăm hỏi" --kind care >/dev/null
S_SAVE="$S"; S="$S2"; send_up 0.3; S="$S_SAVE"
cds --home "$D" snapshot make >/dev/null
await_snaps same 3 || true
check "after a 409 the district sends the proof from the size held" \
	'[ "$(snaps same)" -ge 3 ]'
# the district's store is changed behind its change log: its figures no
# longer come from the schools' bundles, and the national hub names them
sqlite3 "$D/store.db" "UPDATE activity SET kind = 'training' WHERE title = 'Hội thao'"
cds --home "$D" snapshot make >/dev/null
await_snaps differs 1 || true
check "a figure changed at the district is found at the national hub" \
	'[ "$(snaps differs)" -eq 1 ]'
set +e
cds --home "$N" snapshot list --all >"$T/list.txt"
lrc=$?
set -e
check "snapshot list exits 1 and names the cell (exit $lrc)" \
	'[ $lrc -eq 1 ] && grep -q "HG-VX-TH-LUNGCU, 2026-Q1, kind.training: signed 1, computed from the bundles 0" "$T/list.txt"'
check "the national hub logged it as an error" \
	'grep -q "differ from the figures of their bundles" "$N/daemon.log"'

# ==== The district witnesses the national hub's log =====================
# Each round it cosigns the national hub's newest checkpoint, once the
# consistency proof from the size it cosigned before checks; while the log
# has not grown, a look at the checkpoint is all it asks.
for i in $(seq 1 150); do
	w=$(cds --home "$N" status --json | grep -oE '"witnesses": [0-9]+' | grep -oE '[0-9]+$' || true)
	[ "${w:-0}" -ge 1 ] && grep -q "has not grown since this hub cosigned" "$D/daemon.log" && break
	sleep 0.1
done
check "the district cosigned the national hub's log" \
	'cds --home "$N" status | grep -qE "1 witness cosigned it up to size [1-9]"'
check "and asks for no proof while that log has not grown" \
	'grep -q "the log of the hub above has not grown since this hub cosigned its [1-9][0-9]* leaves" "$D/daemon.log"'

# ==== Reload and stop ===================================================
kill -HUP "$dpid"
for i in $(seq 1 50); do grep -q "reloading the settings" "$D/daemon.log" && break; sleep 0.1; done
check "SIGHUP reloads" 'grep -q "reloading the settings" "$D/daemon.log"'
kill -TERM "$dpid" "$npid"
set +e
wait "$dpid"; drc=$?
wait "$npid"; nrc=$?
set -e
check "SIGTERM stops the district cleanly (exit $drc)" '[ $drc -eq 0 ]'
check "SIGTERM stops the national hub cleanly (exit $nrc)" '[ $nrc -eq 0 ]'
check "no daemon said error (but the snapshot that differs)" \
	'! grep -H "Z error " "$N/daemon.log" "$D/daemon.log" "$S/daemon.log" | grep -v "differ from the figures of their bundles" >&2'
[ $fail -eq 0 ] || { echo "--- school"; tail -20 "$S/daemon.log"; echo "--- district"; tail -20 "$D/daemon.log"; echo "--- national"; tail -20 "$N/daemon.log"; } >&2
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
