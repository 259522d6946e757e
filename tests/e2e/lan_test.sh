#!/usr/bin/env bash
# lan_test.sh -- the LAN sync end to end: a school node running cdsyncd
# with `lan` on TCP (127.0.0.1, a port the test picks) and IPC, two phones
# paired with it syncing with `cdsync sync`.  Checked: both ways, an edit
# of both phones converging, status on the phone, the node stopped (the
# phone keeps its records, says so, and sends them when the node is
# back), the node killed and restarted, an unpaired phone refused, a bad
# `lan` setting refused with its line, and what the phones recorded going
# up in the school's next bundle.  Everything stops by itself.
set -euo pipefail
B="$CDSYNC_BIN_DIR"
T="$(mktemp -d "${TMPDIR:-/tmp}/cdsync-lan-XXXXXX")"
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
# a free TCP port on 127.0.0.1: nothing answers there
free_port() {
	local p
	for _ in $(seq 1 100); do
		p=$((20000 + RANDOM % 40000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"; return 0
		fi
	done
	return 1
}
daemon() {	# starts the school's cdsyncd; $dpid its pid
	"$B/cdsyncd" --home "$S" >>"$S/daemon.log" 2>&1 &
	dpid=$!
	pids+=("$dpid")
	local i
	for i in $(seq 1 100); do
		grep -q "devices sync at ipc://" "$S/daemon.log" 2>/dev/null && return 0
		sleep 0.05
	done
	echo "cdsyncd did not start" >&2; return 1
}
sync_at() {	# sync_at HOME ARGS...: cdsync sync; $rc, $T/out, $T/err
	set +e
	cds --home "$1" sync "${@:2}" >"$T/out" 2>"$T/err"
	rc=$?
	set -e
}
titles() { cds --home "$1" activity list --period 2025-2026 --json | grep -o '"title": "[^"]*"' | sort; }

S="$T/school" P1="$T/phone1" P2="$T/phone2"
cds --home "$S" init --role school --org HG-VX-TH-LUNGCU --name "Trường Tiểu học Lũng Cú" --parent HG-VX >/dev/null
cds --home "$S" activity add --held-on 05/09/2025 --title "Khai giảng năm học" --kind culture >/dev/null
for p in "$P1" "$P2"; do
	cds --home "$p" init --role client --org HG-VX-TH-LUNGCU --name "Lũng Cú" >/dev/null
	code=$(cds --home "$S" pair code | grep -oE '[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}' | head -1)
	cds --home "$p" pair request --code "$code" --device "máy $(basename "$p")" --out "$T/r.cdsp" >/dev/null
	cds --home "$S" pair approve "$T/r.cdsp" --out "$T/c.cdsc" >/dev/null
	cds --home "$p" pair finish "$T/c.cdsc" >/dev/null
done

# ==== A bad setting ======================================================
echo "lan = tcp://127.0.0.1" >"$S/cdsyncd.conf"
set +e
"$B/cdsyncd" --home "$S" --once >"$T/out" 2>&1
rc=$?
set -e
check "a bad lan setting stops the start (exit $rc)" '[ $rc -eq 1 ]'
check "and says which line and why" \
	'grep -q "cdsyncd.conf line 1: lan = tcp://127.0.0.1: write up to 4 addresses, like tcp://0.0.0.0:7420 or ipc:///run/cdsync/lan" "$T/out"'

# ==== The node answers on TCP and IPC ====================================
port=$(free_port)
TCP="tcp://127.0.0.1:$port" IPC="ipc://$T/lan.sock"
echo "lan = $TCP $IPC" >"$S/cdsyncd.conf"
daemon
check "the daemon says where devices sync" 'grep -q "devices sync at $TCP" "$S/daemon.log"'
sync_at "$P1" --lan "$TCP"
check "phone 1: a first sync (exit $rc)" '[ $rc -eq 0 ]'
check "phone 1 received the school's records" \
	'grep -qx "Synced with the school node at $TCP: 0 change(s) sent, 2 received (2 new here)." "$T/out"'
cds --home "$P1" activity add --held-on 12/09/2025 --title "Thăm cô Lan ốm" --kind care --cost 300.000 >/dev/null
cds --home "$P1" activity add --held-on 13/09/2025 --title "Họp tổ công đoàn" --kind propaganda >/dev/null
sync_at "$P1"
check "phone 1 sends to the address it used before" \
	'grep -qx "Synced with the school node at $TCP: 2 change(s) sent, 0 received (0 new here)." "$T/out"'
sync_at "$P2" --lan "$IPC" --json
check "phone 2, over IPC, receives the school's and phone 1's" \
	'grep -q "\"received\": 4" "$T/out"'
check "phone 2 has what phone 1 recorded" '[ "$(titles "$P2")" = "$(titles "$S")" ]'
check "so does the school node" '[ "$(titles "$S" | wc -l)" -eq 3 ]'
check "phone 1 has the school's" 'titles "$P1" | grep -q "Khai giảng năm học"'

# ==== Both phones edit the same activity offline =========================
id=$(cds --home "$P1" activity list --period 2025-2026 --json | grep -B3 '"title": "Thăm cô Lan ốm"' | grep -oE '[0-9a-f]{32}' | head -1)
cds --home "$P1" activity edit "$id" --participants 4 >/dev/null
cds --home "$P2" activity edit "$id" --note "Mang theo quà của công đoàn" >/dev/null
cds --home "$P2" activity edit "$id" --participants 5 >/dev/null
sync_at "$P1"; sync_at "$P2"; sync_at "$P1"
show() { cds --home "$1" activity show "$id" --json | grep -E '"(participants|note)"'; }
check "the phones converge" '[ "$(show "$P1")" = "$(show "$P2")" ]'
check "the node has the same" '[ "$(show "$S")" = "$(show "$P1")" ]'
check "each edit kept, the later count wins" \
	'show "$P1" | grep -q "\"participants\": 5" && show "$P1" | grep -q "Mang theo quà"'
cds --home "$P1" status >"$T/out"
check "status on the phone: the last sync" \
	'grep -qE "^Last sync with the school node: [0-9]{2}/[0-9]{2}/[0-9]{4} [0-9]{2}:[0-9]{2}, at $TCP$" "$T/out"'
check "status on the phone: nothing waiting" \
	'grep -qx "Recorded here, not yet at the school node: 0 change(s)" "$T/out"'

# ==== The node stopped, then back ========================================
kill -TERM "$dpid"
set +e; wait "$dpid"; drc=$?; set -e
check "SIGTERM stops the node cleanly (exit $drc)" '[ $drc -eq 0 ]'
cds --home "$P1" activity add --held-on 20/10/2025 --title "Mừng ngày Phụ nữ Việt Nam" --kind culture >/dev/null
sync_at "$P1" --timeout 1
check "no node: the sync fails (exit $rc)" '[ $rc -eq 1 ]'
check "and says nothing is lost" \
	'grep -q "does not answer (.*after 1 s): what this device records stays here and goes at the next sync" "$T/err"'
check "the phone still has its record" 'titles "$P1" | grep -q "Mừng ngày Phụ nữ"'
check "status counts it as waiting" \
	'cds --home "$P1" status | grep -qx "Recorded here, not yet at the school node: 1 change(s)"'
daemon
sync_at "$P1"
check "the node back: the record goes (exit $rc)" \
	'[ $rc -eq 0 ] && grep -q ": 1 change(s) sent" "$T/out"'

# ==== Killed while phones sync ===========================================
for i in $(seq 1 300); do
	printf 'M%04d;Đoàn viên %d;1980\n' "$i" "$i"
done | { echo "Mã;Họ và tên;Năm sinh"; cat; } >"$T/m.csv"
cds --home "$P2" member import "$T/m.csv" >/dev/null
sync_at "$P2" &
spid=$!
sleep 0.2
kill -9 "$dpid"
wait "$spid" || true
daemon
sync_at "$P2"
sync_at "$P2"
check "after a kill, phone 2 is level (exit $rc)" '[ $rc -eq 0 ] && grep -q ": 0 change(s) sent, 0 received" "$T/out"'
check "every member once at the node" \
	'[ "$(cds --home "$S" member list --json | grep -c "\"code\": \"M")" -eq 300 ]'

# ==== An unpaired phone ==================================================
cds --home "$S" pair revoke "máy phone2" >/dev/null
cds --home "$P2" activity add --held-on 21/10/2025 --title "Sau khi bị gỡ" --kind culture >/dev/null
sync_at "$P2"
check "an unpaired phone is refused (exit $rc)" '[ $rc -eq 1 ]'
check "with the node's reason" \
	'grep -q "the school node refuses this device.s changes: device máy phone2 (…[0-9a-f]*) was unpaired on" "$T/err"'
check "nothing of it at the node" '! titles "$S" | grep -q "Sau khi bị gỡ"'
check "the daemon logged the refusal" 'grep -q "warn .*LAN sync: device máy phone2" "$S/daemon.log"'

# ==== Up the tree: the phones' records in the school's bundle ============
H="$T/hub"
cds --home "$H" init --role hub --org HG-VX --name "Công đoàn Giáo dục huyện Vị Xuyên" >/dev/null
cds --home "$S" keys >"$T/s.keys"; cds --home "$H" peer add "$T/s.keys" >/dev/null
cds --home "$H" keys >"$T/h.keys"; cds --home "$S" peer add "$T/h.keys" --upstream >/dev/null
mkdir -p "$T/stick"
cds --home "$S" export --out "$T/stick" >/dev/null
cds --home "$H" import "$T/stick" >/dev/null
figs() { cds --home "$1" kpi --org HG-VX-TH-LUNGCU --period 2025-2026 --json | grep -v '"org"'; }
check "the hub has the school's figures, phones' records included" \
	'[ "$(figs "$H")" = "$(figs "$S")" ] && figs "$H" | grep -q "\"den\": 300"'

# ==== And over the network: cdsync sync at the school, with a bar ========
cds --home "$P1" activity add --held-on 22/10/2025 --title "Sau USB" --kind culture >/dev/null
if command -v script >/dev/null; then
	script -qec "$B/cdsync --home $P1 sync" /dev/null >"$T/tty" 2>&1 || true
	check "on a terminal, the phone's sync draws a bar" \
		'grep -q "\[####################\] 1/1 sent" "$T/tty"'
else
	sync_at "$P1"
fi
echo "listen = 127.0.0.1:0" >"$H/cdsyncd.conf"
"$B/cdsyncd" --home "$H" >>"$H/daemon.log" 2>&1 &
hpid=$!; pids+=("$hpid")
for i in $(seq 1 100); do [ -s "$H/cdsyncd.port" ] && break; sleep 0.05; done
echo "upstream = http://127.0.0.1:$(cat "$H/cdsyncd.port")/" >>"$S/cdsyncd.conf"
if command -v script >/dev/null; then
	script -qec "$B/cdsync --home $S sync" /dev/null >"$T/tty" 2>&1 || true
	check "on a terminal, the school's sync draws a bar per bundle" \
		'grep -q "bundle 1/[0-9]*: [0-9]*/[0-9]* bytes at the hub" "$T/tty"'
fi
sync_at "$S"
check "cdsync sync at the school: its outbox goes up (exit $rc)" \
	'[ $rc -eq 0 ] && grep -q "0 still waiting to go up" "$T/out"'
check "the hub has the phone's newest record" '[ "$(figs "$H")" = "$(figs "$S")" ]'
kill -TERM "$hpid"

kill -TERM "$dpid"
set +e; wait "$dpid"; set -e
check "no error in the node's log" '! grep -q "Z error " "$S/daemon.log"'
[ $fail -eq 0 ] || { echo "--- node"; tail -20 "$S/daemon.log"; } >&2
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
