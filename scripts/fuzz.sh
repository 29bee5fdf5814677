#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Builds the libFuzzer targets (clang, ASan + UBSan, UB fatal) and runs each
# for SECONDS, one after the other, seeded with the corpus captures and the
# malformed files.  Crashes go to tests/fuzz/regress/TARGET-crash-<sha1>;
# rename them (TARGET-what-it-is) and tests/test-fuzz.sh replays them.
#
# usage: scripts/fuzz.sh [--build-only] [SECONDS] [TARGET...]
#   TARGET: fuzz_any fuzz_v1 fuzz_v5 fuzz_v9 fuzz_v10 fuzz_sflow fuzz_tmpl
#           fuzz_state fuzz_frame fuzz_config fuzz_xdp (default: all; fuzz_xdp needs
#           root and the skeleton, $NFX_BUILD/nfx_xdp.skel.h, made if missing)
# env: FUZZ_OUT (build/fuzz), NFX_BUILD (build: where make put the skeleton),
#      FUZZ_ARGS (more libFuzzer flags),
#      FUZZ_IGNORELIST (a -fsanitize-ignorelist file, to fuzz on past a
#      known, reported bug; never for CI), CLANG (clang)
# Per-run statistics are appended to $FUZZ_OUT/stats.tsv.
set -eu
cd "$(dirname "$0")/.."

build_only=0
secs=60
targets=()
for a in "$@"; do
	case $a in
	--build-only) build_only=1 ;;
	[0-9]*) secs=$a ;;
	fuzz_*) targets+=("$a") ;;
	*) echo "usage: $0 [--build-only] [SECONDS] [TARGET...]" >&2; exit 2 ;;
	esac
done
ALL_TARGETS="fuzz_any fuzz_v1 fuzz_v5 fuzz_v9 fuzz_v10 fuzz_sflow fuzz_tmpl fuzz_state fuzz_frame
	fuzz_config fuzz_xdp"
[ ${#targets[@]} -eq 0 ] && read -ra targets <<<"$ALL_TARGETS"

BUILD=${NFX_BUILD:-build}
OUT=${FUZZ_OUT:-$BUILD/fuzz}
CLANG=${CLANG:-clang}
REGRESS=tests/fuzz/regress
# What the decoders and the frame parser link: base/ and decode/ whole, and
# io/frame, as an archive so that a target takes only the objects it uses.
LIB_SRCS="$(cd user && ls base/*.c decode/*.c io/frame.c | sed 's/\.c$//')"
LIB_A=$OUT/obj/libnfx-fuzz.a
SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
[ -n "${FUZZ_IGNORELIST:-}" ] && SAN="$SAN -fsanitize-ignorelist=$FUZZ_IGNORELIST"
CFLAGS="-g -O1 $SAN -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Wno-unused-parameter
	-Iinclude -Iuser -I$BUILD"
mkdir -p "$OUT/obj" "$REGRESS"

# A missing fuzzer runtime fails late and obscurely: say what to install.
check_runtime() {
	local t=$OUT/.probe
	printf 'int LLVMFuzzerTestOneInput(const char *d, long n) { return 0; }\n' >"$t.c"
	if ! "$CLANG" -fsanitize=fuzzer,address "$t.c" -o "$t" 2>/dev/null; then
		echo "fuzz.sh: $CLANG cannot link -fsanitize=fuzzer;" \
		     "install libclang-rt-14-dev (apt-get install libclang-rt-14-dev)" >&2
		exit 3
	fi
	rm -f "$t" "$t.c"
}

# The library objects once, with the fuzzer's coverage but not its main();
# again only when a source, a header or the flags changed; then the archive.
build_lib() {
	local s o flags="$CLANG $CFLAGS" objs=()
	[ "$(cat "$OUT/obj/flags" 2>/dev/null)" = "$flags" ] || rm -f "$OUT"/obj/*.o "$LIB_A"
	echo "$flags" >"$OUT/obj/flags"
	for s in $LIB_SRCS; do
		o=$OUT/obj/${s//\//_}.o
		objs+=("$o")
		if [ -f "$o" ] && [ -z "$(find "user/$s.c" user/*/*.h include/nfx/*.h -newer "$o")" ]; then
			continue
		fi
		$CLANG $CFLAGS -fsanitize=fuzzer-no-link -c "user/$s.c" -o "$o.tmp"
		mv "$o.tmp" "$o"
	done
	# made afresh: objects of sources since removed must not linger in it
	rm -f "$LIB_A"
	ar rcs "$LIB_A" "${objs[@]}"
}

build_target() {
	local t=$1
	case $t in
	fuzz_any) $CLANG $CFLAGS -fsanitize=fuzzer -DFUZZ_VERSION=0 -o "$OUT/$t" \
			tests/fuzz/fuzz_decode.c "$LIB_A" ;;
	fuzz_v*) $CLANG $CFLAGS -fsanitize=fuzzer -DFUZZ_VERSION="${t#fuzz_v}" -o "$OUT/$t" \
			tests/fuzz/fuzz_decode.c "$LIB_A" ;;
	fuzz_sflow) $CLANG $CFLAGS -fsanitize=fuzzer -DFUZZ_VERSION=NFX_SFLOW_VERSION \
			-o "$OUT/$t" tests/fuzz/fuzz_decode.c "$LIB_A" ;;
	fuzz_tmpl|fuzz_state|fuzz_frame) $CLANG $CFLAGS -fsanitize=fuzzer -o "$OUT/$t" \
			"tests/fuzz/$t.c" "$LIB_A" ;;
	# the configuration: both syntaxes, and the rdns prefix check it calls
	fuzz_config) $CLANG $CFLAGS -fsanitize=fuzzer -o "$OUT/$t" tests/fuzz/fuzz_config.c \
			user/control/config.c user/control/config_yaml.c user/enrich/rdns.c \
			"$LIB_A" -ljson-c -lyaml -lcares -lpthread ;;
	fuzz_xdp)
		if [ ! -f "$BUILD/nfx_xdp.skel.h" ]; then
			make --no-print-directory OUT="$BUILD" "$BUILD/nfx_xdp.skel.h" >/dev/null
		fi
		$CLANG $CFLAGS -fsanitize=fuzzer -o "$OUT/$t" tests/fuzz/fuzz_xdp.c \
			-lbpf -lelf -lz ;;
	*) echo "fuzz.sh: unknown target $t" >&2; return 1 ;;
	esac
}

check_runtime
build_lib
for t in "${targets[@]}"; do
	build_target "$t"
done
[ $build_only = 1 ] && exit 0

# Seeds: UDP payloads (single and joined) for the decoders, whole frames for
# the frame parser and the XDP program, template records for fuzz_tmpl, the
# kept state files for fuzz_state.
seeds=$OUT/seeds
rm -rf "$seeds"
mkdir -p "$seeds"
py=scripts/pcap_payloads.py
caps=(tests/data/corpus/*.pcap tests/data/malformed/*.pcap)
$py --join "$seeds/payloads" 0 "${caps[@]}" >/dev/null
$py --frames "$seeds/frames" 0 "${caps[@]}" >/dev/null
$py --templates "$seeds/templates" 0 "${caps[@]}" >/dev/null

seed_dir() {
	case $1 in
	fuzz_frame|fuzz_xdp) echo "$seeds/frames" ;;
	fuzz_tmpl) echo "$seeds/templates" ;;
	fuzz_config) echo tests/fuzz/config-seeds ;;
	fuzz_state) echo tests/fuzz/seeds-state ;;
	*) echo "$seeds/payloads" ;;
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

mkdir -p "$OUT/logs"
[ -f "$OUT/stats.tsv" ] ||
	printf 'date\ttarget\tseconds\truns\texec_per_s\tcov\tft\tcorpus\tresult\n' >"$OUT/stats.tsv"
failed=0
for t in "${targets[@]}"; do
	if [ $t = fuzz_xdp ] && [ "$(id -u)" != 0 ]; then
		echo "== $t: skipped, needs root"
		continue
	fi
	maxlen=9000
	[ $t = fuzz_xdp ] && maxlen=3521	# 1 + the largest linear test-run frame
	mkdir -p "$OUT/corpus-$t"
	log=$OUT/logs/$t.log
	echo "== $t for ${secs}s"
	rc=0
	# shellcheck disable=SC2086
	nice -n 10 "$OUT/$t" -max_total_time="$secs" -max_len=$maxlen -timeout=10 \
		-rss_limit_mb=2048 -dict="$(dict_of $t)" -print_final_stats=1 \
		-artifact_prefix="$REGRESS/$t-" ${FUZZ_ARGS:-} \
		"$OUT/corpus-$t" "$(seed_dir $t)" >"$log" 2>&1 || rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	eps=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
	last=$(grep -E '^#[0-9]+' "$log" | tail -n 1)
	cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
	ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
	corp=$(sed -n 's/.* corp: \([0-9]*\).*/\1/p' <<<"$last")
	result=ok
	if [ $rc -ne 0 ]; then
		result=crash
		failed=1
		grep -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error|fuzz_xdp:)|Test unit written' "$log" |
			head -n 6 | sed 's/^/   /'
	fi
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$(date -u +%FT%TZ)" "$t" "$secs" \
		"${runs:-?}" "${eps:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" $result >>"$OUT/stats.tsv"
	echo "   $result: ${runs:-?} runs, ${eps:-?} exec/s, cov ${cov:-?} ft ${ft:-?}, corpus ${corp:-?} (log $log)"
done
exit $failed
