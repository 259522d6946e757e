#!/usr/bin/env bash
# powerloss_test.sh -- the power goes out: tests/tools/faultfs.so in its
# power-cut mode undoes, at the N-th write, fsync or rename, every write,
# truncate and rename not yet made durable by an fsync (with ":reorder",
# only some of them, as a disk that wrote some and not others) and kills
# the process, as a machine shows after a power loss.  Checked for each N:
#   - a hub taking bundles in (cdsync import): the store passes
#     integrity_check, every bundle the command said it merged before the
#     power went is merged, and the same import afterwards takes the rest
#     in, each bundle once;
#   - a hub's cdsyncd answering uploads: every bundle for which the school
#     holds the hub's signed receipt is merged at the hub after it comes
#     back -- nothing a receipt acknowledged is lost.
# POWER_ALL=1 tries every point (by hand).
set -euo pipefail
B="$CDSYNC_BIN_DIR"
T="$(mktemp -d "${TMPDIR:-/tmp}/cdsync-power-XXXXXX")"
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
pass=0 fail=0 points=0 daemon_points=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $1" >&2; }
check() { if eval "$2"; then ok; else bad "$1"; fi; }
cds() { "$B/cdsync" "$@"; }
sq() { sqlite3 -readonly "$1/store.db" "$2"; }
shim="$B/faultfs.so"
preload() {	# preload FAULTFS CMD...: runs CMD with the shim
	local f="$1"
	shift
	FAULTFS="$f" LD_PRELOAD="$shim" \
		ASAN_OPTIONS="${ASAN_OPTIONS:-}:verify_asan_link_order=0:detect_leaks=0" "$@"
}
tries() {	# tries TOTAL STEP: the points tried
	local i
	for i in $(seq 1 "$1"); do
		if [ -n "${POWER_ALL:-}" ] || [ $((i % $2)) -eq 1 ] || [ "$i" -eq "$1" ]; then
			echo "$i"
		fi
	done
}

S="$T/school" H0="$T/hub0" H="$T/hub"
cds --home "$S" init --role school --org HG-VX-TH-LUNGCU --name "Trường Tiểu học Lũng Cú" --parent HG-VX >/dev/null
cds --home "$H0" init --role hub --org HG-VX --name "Công đoàn Giáo dục huyện Vị Xuyên" >/dev/null
cds --home "$S" keys >"$T/s.keys"; cds --home "$H0" peer add "$T/s.keys" >/dev/null
cds --home "$H0" keys >"$T/h.keys"; cds --home "$S" peer add "$T/h.keys" --upstream >/dev/null
mkdir -p "$T/stick"
for i in 1 2 3 4 5 6; do
	for k in $(seq 1 $((i * 3))); do
		cds --home "$S" activity add --held-on "0$i/02/2026" --kind care \
			--title "Hoạt động $i.$k" >/dev/null
	done
	cds --home "$S" export --out "$T/stick" >/dev/null
done
want=$(sq "$S" "SELECT count(*) FROM activity")

# ==== A hub taking bundles in ============================================
rm -rf "$H"; cp -r "$H0" "$H"
FAULTFS_COUNT="$T/count" LD_PRELOAD="$shim" \
	ASAN_OPTIONS="${ASAN_OPTIONS:-}:verify_asan_link_order=0" \
	"$B/cdsync" --home "$H" import "$T/stick" >/dev/null
events=$(sed -n 's/.*events \([0-9]*\).*/\1/p' "$T/count")
for n in $(tries "$events" 3); do
	for mode in "" ":reorder"; do
		rm -rf "$H"; cp -r "$H0" "$H"
		set +e
		preload "powercut:$n$mode" "$B/cdsync" --home "$H" import "$T/stick" \
			>"$T/out" 2>/dev/null
		set -e
		points=$((points + 1))
		check "import, power cut at $n$mode: integrity" \
			'[ "$(sq "$H" "PRAGMA integrity_check")" = ok ]'
		lost=0
		while read -r f; do
			s=$(sed -E 's/.*-0*([0-9]+)\.cdsb$/\1/' <<<"$f")
			[ "$(sq "$H" "SELECT count(*) FROM sync_bundle_in WHERE seq = $s AND status = 'merged'")" -eq 1 ] ||
				lost=$((lost + 1))
		done < <(sed -n 's/: merged [0-9]* change(s)\.$//p' "$T/out")
		check "import, power cut at $n$mode: every bundle said merged is merged ($lost lost)" \
			'[ $lost -eq 0 ]'
		cds --home "$H" import "$T/stick" >/dev/null 2>&1 || true
		check "import, power cut at $n$mode: then every activity once" \
			'[ "$(sq "$H" "SELECT count(*) FROM activity")" -eq "$want" ]'
	done
done

# ==== A hub's daemon, receipts going back ================================
await_port() {
	local i
	for i in $(seq 1 200); do [ -s "$1/cdsyncd.port" ] && return 0; sleep 0.05; done
	return 1
}
hub_up() {	# hub_up [FAULTFS]: starts the hub's cdsyncd; $hpid
	rm -f "$H/cdsyncd.port"
	if [ -n "${1:-}" ]; then	# (not through a function: $! is cdsyncd)
		FAULTFS="$1" LD_PRELOAD="$shim" \
			ASAN_OPTIONS="${ASAN_OPTIONS:-}:verify_asan_link_order=0:detect_leaks=0" \
			"$B/cdsyncd" --home "$H" >>"$H/daemon.log" 2>&1 &
	else
		"$B/cdsyncd" --home "$H" >>"$H/daemon.log" 2>&1 &
	fi
	hpid=$!
	pids+=("$hpid")
	await_port "$H"
}
S0="$T/school0"
cp -r "$S" "$S0"
# how many events the hub makes starting (no point cutting those: it is
# not answering yet), and then taking the outbox in
rm -rf "$H"; cp -r "$H0" "$H"
echo "listen = 127.0.0.1:0" >"$H/cdsyncd.conf"
FAULTFS_COUNT="$T/count" hub_up "count:0:none"
kill -TERM "$hpid"; wait "$hpid" || true
start=$(sed -n 's/.*events \([0-9]*\).*/\1/p' "$T/count")
rm -rf "$H"; cp -r "$H0" "$H"
echo "listen = 127.0.0.1:0" >"$H/cdsyncd.conf"
FAULTFS_COUNT="$T/count" hub_up "count:0:none"
echo "upstream = http://127.0.0.1:$(cat "$H/cdsyncd.port")/" >"$S/cdsyncd.conf"
cds --home "$S" sync >/dev/null 2>&1 || true
kill -TERM "$hpid"; wait "$hpid" || true
events=$(sed -n 's/.*events \([0-9]*\).*/\1/p' "$T/count")
check "the hub took the outbox in" '[ "$(sq "$H" "SELECT count(*) FROM activity")" -eq "$want" ]'
echo "the hub's daemon: $start events to start, $events with the uploads"
for n in $(tries $((events - start)) 16); do
	n=$((n + start))
	daemon_points=$((daemon_points + 1))
	rm -rf "$H" "$S"; cp -r "$H0" "$H"; cp -r "$S0" "$S"
	echo "listen = 127.0.0.1:0" >"$H/cdsyncd.conf"
	hub_up "powercut:$n:reorder" || { bad "the hub did not start (cut at $n)"; continue; }
	port=$(cat "$H/cdsyncd.port")
	echo "upstream = http://127.0.0.1:$port/" >"$S/cdsyncd.conf"
	set +e
	cds --home "$S" sync --timeout 5 >/dev/null 2>&1
	set -e
	# the uploads may end before the N-th event: then the cut comes now
	kill -9 "$hpid" 2>/dev/null || true
	wait "$hpid" 2>/dev/null || true
	points=$((points + 1))
	# back from the power cut, on the same port
	echo "listen = 127.0.0.1:$port" >"$H/cdsyncd.conf"
	check "daemon, power cut at $n: integrity" '[ "$(sq "$H" "PRAGMA integrity_check")" = ok ]'
	lost=0
	for s in $(sq "$S" "SELECT DISTINCT seq FROM sync_receipt WHERE status = 1"); do
		[ "$(sq "$H" "SELECT count(*) FROM sync_bundle_in WHERE seq = $s AND status = 'merged'")" -eq 1 ] ||
			lost=$((lost + 1))
	done
	check "daemon, power cut at $n: every receipted bundle is merged ($lost lost)" '[ $lost -eq 0 ]'
	hub_up || { bad "the hub did not start again after the cut at $n"; continue; }
	cds --home "$S" sync >/dev/null 2>&1 || cds --home "$S" sync >/dev/null 2>&1 || true
	kill -TERM "$hpid"; wait "$hpid" || true
	check "daemon, power cut at $n: then every activity once" \
		'[ "$(sq "$H" "SELECT count(*) FROM activity")" -eq "$want" ]'
	check "daemon, power cut at $n: and the school's outbox empty" \
		'[ "$(cds --home "$S" status --json | grep -c "\"outbox\": 0")" -eq 1 ]'
done

echo "$points power cuts"
echo "$daemon_points of them in the hub's daemon"
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
