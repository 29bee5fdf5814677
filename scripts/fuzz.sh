#!/bin/bash
# Builds the libFuzzer targets (clang, ASan + UBSan) and runs each for
# SECONDS, seeded with the corpus captures and the malformed files.
# Crashes are written to tests/fuzz/regress/ (kept as regression inputs,
# replayed by tests/test-fuzz-regress.sh).
# usage: scripts/fuzz.sh [SECONDS] [--build-only]
set -eu
cd "$(dirname "$0")/.."
secs=${1:-60}
OUT=build/fuzz
SRCS="user/decode.c user/decode_v5.c user/decode_v9.c user/decode_ipfix.c user/tmpl_cache.c
      user/ie.c user/seq.c user/flow.c user/frame.c"
CFLAGS="-g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined
	-fno-sanitize-recover=undefined -std=gnu11 -D_GNU_SOURCE -Iinclude -Iuser"
mkdir -p "$OUT" tests/fuzz/regress

build() {	# name, extra flags, sources
	local name=$1 flags=$2; shift 2
	clang $CFLAGS $flags -o "$OUT/$name" "$@"
}
build fuzz_any "-DFUZZ_VERSION=0" tests/fuzz/fuzz_decode.c $SRCS
for v in 1 5 9 10; do
	build "fuzz_v$v" "-DFUZZ_VERSION=$v" tests/fuzz/fuzz_decode.c $SRCS
done
build fuzz_frame "" tests/fuzz/fuzz_frame.c user/frame.c user/flow.c
[ "${2:-}" = "--build-only" ] && exit 0

seeds=$OUT/seeds
rm -rf "$seeds"; mkdir -p "$seeds"
scripts/pcap_payloads.py "$seeds" 0 tests/data/corpus/*.pcap tests/data/malformed/*.pcap >/dev/null
mkdir -p "$seeds-frames"
scripts/pcap_payloads.py --frames "$seeds-frames" 0 tests/data/malformed/*.pcap >/dev/null
for t in fuzz_any fuzz_v1 fuzz_v5 fuzz_v9 fuzz_v10 fuzz_frame; do
	mkdir -p "$OUT/corpus-$t"
	echo "== $t for ${secs}s"
	"$OUT/$t" -max_total_time="$secs" -max_len=9000 -timeout=5 -rss_limit_mb=2048 \
		-artifact_prefix=tests/fuzz/regress/"$t"- -print_final_stats=1 \
		"$OUT/corpus-$t" "$seeds$([ $t = fuzz_frame ] && echo -frames)" 2>&1 | grep -E '^(#[0-9]+.*DONE|stat::number_of_executed_units|==[0-9]+==ERROR|SUMMARY)' || true
done
