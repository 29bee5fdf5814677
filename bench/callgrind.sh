#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# callgrind.sh [BENCH...] - instructions per record of each microbenchmark,
# the stable figure on a noisy machine: valgrind --tool=callgrind counts the
# instructions executed inside bench_*() for a fixed number of records.
# Prints "BENCH INSTRUCTIONS_PER_RECORD" lines (--json: one JSON object).
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
MICRO=${MICRO:-$ROOT/${NFX_BUILD:-build}/bench/micro}
COUNT=${CG_COUNT:-200000}
json=0
[ "${1:-}" = --json ] && { json=1; shift; }
benches=${*:-v5 v9 ipfix sflow ndjson ndjson_write agg v5_ndjson}
tmp=$(mktemp -d /tmp/nfxb-cg.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
sep=""
[ $json = 1 ] && printf '{'
for b in $benches; do
	valgrind --tool=callgrind --toggle-collect='bench_*' --callgrind-out-file="$tmp/$b.out" \
		"$MICRO" --count "$COUNT" "$b" >/dev/null 2>"$tmp/$b.err" || { cat "$tmp/$b.err" >&2; exit 1; }
	ir=$(awk '/^(summary|totals):/ { print $2; exit }' "$tmp/$b.out")
	ipr=$(awk -v ir="$ir" -v n="$COUNT" 'BEGIN { printf "%.1f", ir / n }')
	if [ $json = 1 ]; then printf '%s"%s":%s' "$sep" "$b" "$ipr"; sep=,
	else echo "$b $ipr"; fi
	[ -n "${CG_KEEP:-}" ] && cp "$tmp/$b.out" "$CG_KEEP.$b"
done
[ $json = 1 ] && printf '}\n'
exit 0
