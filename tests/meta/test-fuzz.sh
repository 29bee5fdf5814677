#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# CI test for the libFuzzer targets (scripts/fuzz.sh builds them with ASan
# and UBSan, UB fatal):
#  - replays every kept crash input in tests/fuzz/regress/ (TARGET-what)
#    through its target: "ok fuzz-regress-NAME" once the bug is fixed;
#  - runs each target once over its seeds (the corpus captures and the
#    malformed files): "ok fuzz-seeds-TARGET: N inputs";
#  - fuzzes each target for FUZZ_SMOKE_SECONDS (15): "ok fuzz-TARGET: N runs".
# New crashes are left in a temporary directory named in the FAIL line, not
# in the tree.  fuzz_xdp needs root; without it, its lines are skips.
# Usage: tests/meta/test-fuzz.sh [TARGET...]
set -u
cd "$(dirname "$0")/../.." || exit 1

secs=${FUZZ_SMOKE_SECONDS:-15}
OUT=${FUZZ_OUT:-${NFX_BUILD:-build}/fuzz}
export FUZZ_OUT=$OUT
REGRESS=tests/fuzz/regress
targets=("$@")
[ ${#targets[@]} -eq 0 ] &&
	targets=(fuzz_any fuzz_v1 fuzz_v5 fuzz_v9 fuzz_v10 fuzz_sflow fuzz_tmpl fuzz_state fuzz_frame
		 fuzz_config fuzz_xdp)
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
start=$SECONDS

tmp=$(mktemp -d /tmp/nfx-fuzz.XXXXXX)
keep_tmp=0
trap '[ $keep_tmp = 1 ] || rm -rf "$tmp"' EXIT

name_of() { echo "${1#fuzz_}"; }

# The first line that says what went wrong, from a libFuzzer log.
why() {
	grep -m1 -E 'runtime error|==[0-9]+==ERROR|fuzz_xdp: |libFuzzer: ' "$1" |
		sed -E 's/^==[0-9]+==//; s/^ +//' | cut -c1-200
}

runnable() {
	if [ "$1" = fuzz_xdp ] && [ "$(id -u)" != 0 ]; then
		echo "skip fuzz-$2: fuzz_xdp needs root (bpf())"
		return 1
	fi
	return 0
}

# ---- build ----------------------------------------------------------------

# fuzz_xdp also needs the BPF skeleton (make): build it on its own, so that a
# BPF build problem does not hide the decoder results.
build() {	# suffix for the test name, targets
	local rc=0 sfx=$1
	shift
	scripts/fuzz.sh --build-only "$@" >"$tmp/build.log" 2>&1 || rc=$?
	if [ $rc -eq 3 ]; then
		echo "FAIL fuzz-build: clang cannot link -fsanitize=fuzzer: apt-get install libclang-rt-14-dev"
		exit 1
	elif [ $rc -ne 0 ]; then
		echo "FAIL fuzz-build$sfx: $(grep -m1 -E 'error|fatal' "$tmp/build.log")"
		sed 's/^/  /' "$tmp/build.log" | tail -n 20
	fi
	return $rc
}

plain=() xdp=()
for t in "${targets[@]}"; do
	if [ "$t" = fuzz_xdp ]; then xdp=(fuzz_xdp); else plain+=("$t"); fi
done
if [ ${#plain[@]} -gt 0 ]; then
	build "" "${plain[@]}" || exit 1
fi
if [ ${#xdp[@]} -gt 0 ] && ! build -xdp fuzz_xdp; then
	targets=("${plain[@]}")
fi
echo "ok fuzz-build"

# ---- kept crash inputs ------------------------------------------------------

for f in "$REGRESS"/*; do
	[ -f "$f" ] || continue
	base=$(basename "$f")
	t=${base%%-*}
	case " ${targets[*]} " in *" $t "*) ;; *) continue ;; esac
	runnable "$t" "regress-$base" || continue
	if timeout 120 "$OUT/$t" -timeout=30 "$f" >"$tmp/regress.log" 2>&1; then
		echo "ok fuzz-regress-$base"
	else
		echo "FAIL fuzz-regress-$base: $(why "$tmp/regress.log")"
	fi
done

# ---- seeds ------------------------------------------------------------------

caps=(tests/data/corpus/*.pcap tests/data/malformed/*.pcap)
py=scripts/pcap_payloads.py
$py --join "$tmp/seeds/payloads" 0 "${caps[@]}" >/dev/null &&
$py --frames "$tmp/seeds/frames" 0 "${caps[@]}" >/dev/null &&
$py --templates "$tmp/seeds/templates" 0 "${caps[@]}" >/dev/null ||
	echo "FAIL fuzz-seeds: scripts/pcap_payloads.py failed"

seeds_of() {
	case $1 in
	fuzz_frame|fuzz_xdp) echo "$tmp/seeds/frames" ;;
	fuzz_tmpl) echo "$tmp/seeds/templates" ;;
	fuzz_config) echo tests/fuzz/config-seeds ;;
	fuzz_state) echo tests/fuzz/seeds-state ;;
	*) echo "$tmp/seeds/payloads" ;;
	esac
}

dict_of() {
	case $1 in
	fuzz_frame|fuzz_xdp) echo tests/fuzz/frame.dict ;;
	fuzz_sflow) echo tests/fuzz/sflow.dict ;;
	fuzz_config) echo tests/fuzz/config.dict ;;
	*) echo tests/fuzz/netflow.dict ;;
	esac
}

maxlen_of() {
	[ "$1" = fuzz_xdp ] && echo 3521 || echo 9000
}

for t in "${targets[@]}"; do
	n=$(name_of "$t")
	runnable "$t" "seeds-$n" || continue
	s=$(seeds_of "$t")
	# -runs=0: load (run) every seed once, mutate nothing
	if timeout 300 "$OUT/$t" -runs=0 -timeout=30 -max_len="$(maxlen_of "$t")" \
		-artifact_prefix="$tmp/seed-$t-" "$s" >"$tmp/seeds.log" 2>&1; then
		echo "ok fuzz-seeds-$n: $(find "$s" -type f | wc -l) inputs"
	else
		keep_tmp=1
		echo "FAIL fuzz-seeds-$n: $(why "$tmp/seeds.log") (input in $tmp)"
	fi
done

# ---- a short fuzzing run per target -----------------------------------------

for t in "${targets[@]}"; do
	n=$(name_of "$t")
	runnable "$t" "$n" || continue
	log=$tmp/fuzz-$t.log
	mkdir -p "$tmp/corpus-$t"
	if timeout $((secs + 120)) nice -n 10 "$OUT/$t" -max_total_time="$secs" \
		-max_len="$(maxlen_of "$t")" -timeout=10 -rss_limit_mb=2048 \
		-dict="$(dict_of "$t")" -print_final_stats=1 \
		-artifact_prefix="$tmp/crash-$t-" \
		"$tmp/corpus-$t" "$(seeds_of "$t")" >"$log" 2>&1; then
		runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
		eps=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
		cov=$(grep -E '^#[0-9]+' "$log" | tail -n 1 | sed -n 's/.* cov: \([0-9]*\) ft: \([0-9]*\).*/cov \1 ft \2/p')
		echo "ok fuzz-$n: ${runs:-?} runs, ${eps:-?} exec/s, ${cov:-?}"
	else
		keep_tmp=1
		art=$(sed -n 's/.*Test unit written to //p' "$log" | head -n 1)
		echo "FAIL fuzz-$n: crash: $(why "$log") (input ${art:-none}, log $log)"
	fi
done

echo "# test-fuzz.sh took $((SECONDS - start))s"
