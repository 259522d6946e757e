#!/usr/bin/env bash
# demo_test.sh -- runs the README's demo (tools/demo.sh --quiet, English)
# and checks the figures it must print: the demo is deterministic (its
# member list comes from a seeded generator).
set -euo pipefail
out=$(bash "$CDSYNC_SOURCE_DIR/tools/demo.sh" --quiet)
pass=0 fail=0
check() {	# check NAME REGEX
	if grep -qE "$2" <<<"$out"; then
		pass=$((pass + 1))
	else
		echo "FAIL: $1: no line matching /$2/"; fail=$((fail + 1))
	fi
}
check "plan"      '^P3\.plan +100\.0% \(1/1\) +100% +✓ met'
check "linked"    '^P3\.linked +100\.0% \(1/1\)'
check "coverage"  '^P2\.U\.coverage +86\.8% \(33/38\) +≥ 90% +✗ not met'
check "legal"     '^P2\.N\.legal +50\.0% \(1/2\)'
check "national"  '^P2\.N\.agreements .*not for this level'
check "money"     '^Care money per member: 471\.052 đ'
check "window"    'The figures cover 01/09/2025 – 31/08/2026\.'
check "up the tree" '^✓ school, district and national: the same KPI figures'
check "pairing"   '^✓ the phone and the school node are paired'
check "rotation"  '^✓ bundle 2, signed with the new key, continues the chain'
check "merger: national" '^✓ national union: the same KPI figures before and after the merger'
check "merger: province" '^✓ province TQ after the merger: the same KPI figures as district HG-VX before it'
check "network"   '^✓ over the network, in [0-9]+ rounds of a cut link: the national hub has the school.s figures'
check "phones"    '^✓ 12 phones synced with their schools; two edits of the same activity converged everywhere'
check "sum"       "^✓ the national KPI table is the sum of the 6 schools' own tables"
check "reports"   '^✓ the reports are in .*: bao-cao-2025-2026.html'
check "rollup"    '^✓ the rollup.s figures equal those counted from the records, for the nation, the district and the school'
[ $fail -eq 0 ] || echo "$out"
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
