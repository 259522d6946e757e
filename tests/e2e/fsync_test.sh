#!/usr/bin/env bash
# fsync_test.sh -- kill points replayed exactly: strace kills the process
# at its N-th fdatasync (SQLite's commit) or fsync (our files), for every
# N that recording, exporting and taking bundles in reach
# (`strace -e inject=SYSCALL:signal=SIGKILL:when=N`: what a crash at that
# point leaves).  After each: integrity_check, nothing half-done (an
# activity recorded whole or not at all, bundle numbers without a gap,
# bundles merged whole), and the same command again finishes the job,
# each thing once.  A failing N is replayed with the same line by hand.
set -euo pipefail
B="$CDSYNC_BIN_DIR"
command -v strace >/dev/null || { echo "strace is missing: tools/deps installs it"; exit 1; }
T="$(mktemp -d "${TMPDIR:-/tmp}/cdsync-fsync-XXXXXX")"
trap '[ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT
export LANG=en LANGUAGE= LC_ALL=
export CDSYNC_PASSPHRASE="mat-khau-cua-may"
# LeakSanitizer does not run under ptrace
export ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0"
pass=0 fail=0 kills=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $1" >&2; }
check() { if eval "$2"; then ok; else bad "$1"; fi; }
cds() { "$B/cdsync" "$@"; }
sq() { sqlite3 -readonly "$1/store.db" "$2"; }
calls() {	# calls SYSCALL CMD...: how many times the command makes it
	strace -f -qq -c -e trace="$1" "${@:2}" 2>&1 >/dev/null |
		awk -v s="$1" '$NF == s { print $4 }' | tail -1
}
killed_at() {	# killed_at SYSCALL N CMD...: the command, killed there
	set +e
	(strace -f -qq -o /dev/null -e trace="$1" \
		-e inject="$1":signal=SIGKILL:when="$2" "${@:3}") >/dev/null 2>&1
	set -e
	kills=$((kills + 1))
}

S="$T/school" H0="$T/hub0" H="$T/hub"
cds --home "$S" init --role school --org HG-VX-TH-LUNGCU --name "Trường Tiểu học Lũng Cú" --parent HG-VX >/dev/null
cds --home "$H0" init --role hub --org HG-VX --name "Công đoàn Giáo dục huyện Vị Xuyên" >/dev/null
cds --home "$S" keys >"$T/s.keys"; cds --home "$H0" peer add "$T/s.keys" >/dev/null
cds --home "$H0" keys >"$T/h.keys"; cds --home "$S" peer add "$T/h.keys" --upstream >/dev/null
mkdir -p "$T/stick"

# ==== Recording ==========================================================
add() { "$B/cdsync" --home "$S" activity add --held-on 20/01/2026 --kind care --title "$1"; }
n=$(calls fdatasync "$B/cdsync" --home "$S" activity add --held-on 20/01/2026 --kind care --title "Đếm")
have=$(sq "$S" "SELECT count(*) FROM activity")
for i in $(seq 1 "$n"); do
	killed_at fdatasync "$i" "$B/cdsync" --home "$S" activity add --held-on 20/01/2026 \
		--kind care --title "Ghi $i"
	now=$(sq "$S" "SELECT count(*) FROM activity")
	check "add, killed at fdatasync $i: integrity" '[ "$(sq "$S" "PRAGMA integrity_check")" = ok ]'
	check "add, killed at fdatasync $i: whole or not at all ($have -> $now)" \
		'[ "$now" -eq "$have" ] || [ "$now" -eq $((have + 1)) ]'
	check "add, killed at fdatasync $i: each row with its change" \
		'[ "$now" -eq "$(sq "$S" "SELECT count(*) FROM sync_change WHERE tbl = 5")" ]'
	have=$now
done

# ==== Exporting ==========================================================
for r in 1 2 3 4; do
	add "Xuất $r" >/dev/null
	for sc in fdatasync fsync; do
		rm -rf "$T/probe"; mkdir "$T/probe"
		n=$(calls "$sc" "$B/cdsync" --home "$S" export --out "$T/probe")
		for i in $(seq 1 "${n:-0}"); do
			killed_at "$sc" "$i" "$B/cdsync" --home "$S" export --out "$T/stick"
			check "export, killed at $sc $i: integrity" '[ "$(sq "$S" "PRAGMA integrity_check")" = ok ]'
			check "export, killed at $sc $i: numbers without a gap" \
				'[ "$(sq "$S" "SELECT count(*) FROM sync_bundle_out")" -eq "$(sq "$S" "SELECT coalesce(max(seq), 0) FROM sync_bundle_out")" ]'
		done
	done
done
cds --home "$S" export --out "$T/stick" >/dev/null
check "export again: every bundle on the stick, no temporary file" \
	'[ "$(ls "$T/stick" | grep -c "\.cdsb$")" -eq "$(sq "$S" "SELECT count(*) FROM sync_bundle_out")" ] && ! ls -a "$T/stick" | grep -q "\.tmp-"'
want=$(sq "$S" "SELECT count(*) FROM activity")

# ==== Taking bundles in ==================================================
rm -rf "$H"; cp -r "$H0" "$H"
n=$(calls fdatasync "$B/cdsync" --home "$H" import "$T/stick")
for i in $(seq 1 "$n"); do
	rm -rf "$H"; cp -r "$H0" "$H"
	killed_at fdatasync "$i" "$B/cdsync" --home "$H" import "$T/stick"
	check "import, killed at fdatasync $i: integrity" '[ "$(sq "$H" "PRAGMA integrity_check")" = ok ]'
	check "import, killed at fdatasync $i: bundles merged whole" \
		'[ "$(sq "$H" "SELECT count(*) FROM activity")" -eq "$(sq "$H" "SELECT count(*) FROM sync_change WHERE tbl = 5")" ]'
	cds --home "$H" import "$T/stick" >/dev/null 2>&1 || true
	check "import, killed at fdatasync $i: then every activity, once" \
		'[ "$(sq "$H" "SELECT count(*) FROM activity")" -eq "$want" ] && [ "$(sq "$H" "SELECT count(*) FROM sync_bundle_in WHERE status = '"'"'held'"'"'")" -eq 0 ]'
done

echo "$kills kills at an exact fsync"
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
