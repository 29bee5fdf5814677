#!/bin/bash
# test-agg-memory.sh - aggregator memory follows the configuration (README
# "Aggregation"): a configuration whose aggregators would need more than
# aggregator_max_memory is refused at start with the figure, before any
# output file is made, and at a reload, the running one staying in force;
# a roll-up threshold past what the aggregator holds is refused, not
# clamped; only namespaces a listener has get an aggregator (none for the
# top-level "default" when every listener names its own), and those a
# reload removes are freed.  UDP mode on loopback: no privileges.
set -u
cd "$(dirname "$0")/../.."
NFXDP=${NFXDP:-build/nfxdp}
NAME=agg-memory
tmp=$(mktemp -d /tmp/nfxtest-aggmem.XXXXXX)
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
failed=0
ok() { echo "ok $NAME $*"; }
fail() { echo "FAIL $NAME: $*"; failed=1; }
[ -x "$NFXDP" ] || { echo "skip $NAME: $NFXDP not built (make)"; exit 0; }

P1=39580 P2=39581 P3=39582
CFG=$tmp/nfxdp.json
STATS=$tmp/d.prom
# listeners JSON for namespaces "a b c" on P1, P2, P3
listeners() {
	local port=$P1 sep="" ns

	printf '['
	for ns in "$@"; do
		printf '%s{"flow_type": "netflow5", "port": %d, "namespace": "%s"}' "$sep" "$port" "$ns"
		sep=", "
		port=$((port + 1))
	done
	printf ']'
}
# config LISTENERS_JSON EXTRA_KEYS: written whole, then renamed in (the watch
# must not see half a file)
config() {
	printf '{ "listeners": %s%s }\n' "$1" "${2:+, $2}" >"$CFG.tmp" && mv "$CFG.tmp" "$CFG"
}
dstat() {
	"$NFXDP" stats --daemon="$STATS" --json 2>/dev/null | python3 -c '
import fnmatch, json, sys
s = next(iter(json.load(sys.stdin).values()), {})
got = [v for k, v in s.items() if fnmatch.fnmatchcase(k, sys.argv[1])]
print(sum(got) if got else "")' "$1"
}
# namespaces: the namespace labels of the aggregator series, sorted
namespaces() {
	grep -o '^nfx_agg_contexts{namespace="[^"]*"' "$STATS" 2>/dev/null |
		sed 's/.*namespace="//; s/"$//' | sort -u | tr '\n' ' '
}
# reloads RESULT N: nfx_config_reloads_total{result="RESULT"} is N
reloads() { [ "$(dstat "nfx_config_reloads_total{result=\"$1\"}")" = "$2" ]; }
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$pid/status"; }
# wait_for CMD...: until CMD succeeds, 10 s at most
wait_for() {
	for _ in $(seq 1 100); do
		"$@" && return 0
		kill -0 "$pid" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}
start() {
	"$NFXDP" run --udp --bind 127.0.0.1 -c "$CFG" -o "$tmp/out.ndjson" \
		--stats-file "$STATS" 2>"$tmp/err" &
	pid=$!
}

# 131072 contexts a namespace: 19 MiB of index and tracker backed at once,
# ~85 MiB once every context is held; the bound (300 MiB) holds three of them
SMALL='"aggregator_max_contexts": 131072, "aggregator_max_memory": 314572800'

# ---- 1. refused at start, with the figure, before the output is made ----
config "$(listeners a)" '"aggregator_max_memory": 104857600'
start
if timeout 10 tail --pid="$pid" -f /dev/null; then
	wait "$pid"; rc=$?; pid=
	if [ "$rc" -ne 0 ] && grep -q 'would need 67[0-9]\.[0-9] MiB .*aggregator_max_memory 100\.0 MiB' "$tmp/err"; then
		ok "start refused: $(grep -o 'would need [0-9.]* MiB' "$tmp/err"), more than 100 MiB"
	else
		fail "start: exit $rc, message: $(head -c 400 "$tmp/err")"
	fi
	[ -e "$tmp/out.ndjson" ] && fail "the refused start made its output file" ||
		ok "no output file made by the refused start"
else
	fail "a configuration needing 675 MiB started under a 100 MiB bound"
	kill "$pid"; wait "$pid"; pid=
fi

# ---- 2. a threshold past the aggregator's is refused, not clamped ----
config "$(listeners a)" '"aggregator_port_rollup_threshold": 256'
timeout 3 "$NFXDP" run --udp --bind 127.0.0.1 -c "$CFG" -o /dev/null --stats-file none \
	2>"$tmp/err"
rc=$?
if [ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] &&
   grep -q 'aggregator_port_rollup_threshold: 256 is out of range (2-255)' "$tmp/err"; then
	ok "threshold 256 refused: out of range (2-255)"
else
	fail "threshold 256: exit $rc (124: it ran), $(head -c 300 "$tmp/err")"
fi

# ---- 3. three namespaces, no listener in "default": three aggregators ----
config "$(listeners a b c)" "$SMALL"
start
wait_for test -s "$STATS" || { fail "nfxdp run did not start: $(head -c 400 "$tmp/err")"; exit 1; }
sleep 1.2
got=$(namespaces)
if [ "$got" = "a b c " ]; then
	ok "aggregators for namespaces a b c only, none for default"
else
	fail "aggregator namespaces: ${got:-none}, want a b c"
fi
grep -q 'aggregation: 3 namespaces x 1 worker, tables 2[0-9][0-9]\.[0-9] MiB' "$tmp/err" &&
	ok "start line: $(grep -o 'aggregation: .*' "$tmp/err")" ||
	fail "no aggregation memory line: $(head -c 400 "$tmp/err")"
rss3=$(rss_kb)

# ---- 4. a reload that would need more is refused; the running one stays ----
config "$(listeners a b c)" "$SMALL"', "aggregator_port_rollup_threshold": 255'
if wait_for reloads rejected 1; then
	ok "reload to threshold 255 (3 x 331 MiB) refused"
else
	fail "reload over the bound: rejected=$(dstat 'nfx_config_reloads_total{result="rejected"}')"
fi
grep -q "$CFG: aggregation would need .*the running configuration stays in force" "$tmp/err" &&
	ok "reload refusal says: $(grep -o 'aggregation would need [0-9.]* MiB' "$tmp/err" | tail -n 1)" ||
	fail "no reload refusal line: $(tail -c 400 "$tmp/err")"
sleep 1.2
[ "$(namespaces)" = "a b c " ] && kill -0 "$pid" && ok "the running aggregators a b c stay" ||
	fail "after the refused reload: namespaces $(namespaces)"

# ---- 5. a reload to one namespace frees the other two ----
config "$(listeners a)" "$SMALL"
wait_for reloads applied 1 ||
	fail "reload to one namespace not applied"
sleep 1.2
rss1=$(rss_kb)
got=$(namespaces)
# two aggregators' index and tracker: 2 x 18.25 MiB
if [ "$got" = "a " ] && [ $((rss3 - rss1)) -ge 30000 ]; then
	ok "reload to namespace a: b and c freed (VmRSS $rss3 -> $rss1 KiB)"
else
	fail "after the reload to a: namespaces ${got:-none}, VmRSS $rss3 -> $rss1 KiB"
fi
kill "$pid"; wait "$pid"; rc=$?; pid=
[ "$rc" -eq 0 ] && ok "exit status 0" || fail "nfxdp exited with $rc"
exit $failed
