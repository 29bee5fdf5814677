#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# test-metrics.sh - the Prometheus endpoint (`nfxdp run --metrics
# 127.0.0.1:PORT`), read with curl inside the collector netns:
#  - the page is valid Prometheus text format (HELP/TYPE comments, every
#    sample `name{labels} value` of a declared family, no duplicate
#    series) served as text/plain version 0.0.4, /metrics only;
#  - nfx_up 1; after v5, v9 and IPFIX traffic: nfx_xdp_redirected_total,
#    nfx_xsk_rx_frames_total per queue, nfx_decoder_records_total per version
#    and nfx_output_records_total equal to what was sent, and
#    nfx_exporter_records_total for the v9 and IPFIX exporter;
#  - malformed packets move the nfx_xdp_* drop counter of their defect by
#    exactly what was sent, the same as `nfxdp stats` shows.
source "$(dirname "$0")/lib.sh"

command -v curl >/dev/null || skip "curl not installed"
nfxt_setup || { fail "netns/veth setup"; exit 1; }
MPORT=9464
nfxt_start -i "$IF_C" --pin-dir "$PIN_DIR" --metrics "127.0.0.1:$MPORT" ||
	{ fail "nfxdp run --metrics did not start"; exit 1; }
PAGE=$WORK/metrics.txt

# fetch: the page into $PAGE; 1 if it cannot be fetched
fetch() {
	nfxt_metrics $MPORT >"$PAGE.new" && mv "$PAGE.new" "$PAGE"
}
# mval SERIES: its value on the last page fetched ("" when absent)
mval() {
	awk -v s="$1" '$1 == s { print $2 }' "$PAGE"
}
# msum NAME FILTER: the sum of NAME's samples whose labels contain FILTER
msum() {
	awk -v n="$1" -v f="$2" '
		/^#/ { next }
		{ split($1, a, "{"); if (a[1] == n && index($1, f)) s += $2 }
		END { printf "%d\n", s }' "$PAGE"
}
# wait_for COND...: fetch until the shell condition holds (10 s at most)
wait_for() {
	for _ in $(seq 1 50); do
		fetch && eval "$*" && return 0
		sleep 0.2
	done
	return 1
}
# checkfmt: the page is Prometheus text exposition format 0.0.4
checkfmt() {
	python3 - "$PAGE" <<'EOF'
import re, sys
name = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
lval = r'"(?:[^"\\\n]|\\[\\"n])*"'
sample = re.compile(r"^(%s)(\{(%s=%s(,%s=%s)*,?)?\})? (\S+)( -?[0-9]+)?$"
                    % (name, name, lval, name, lval))
bad, types, helps, seen, n = [], {}, set(), set(), 0
for ln, line in enumerate(open(sys.argv[1]), 1):
    line = line.rstrip("\n")
    if not line:
        continue
    if line.startswith("#"):
        m = re.match(r"^# (HELP|TYPE) (%s) (.*)$" % name, line)
        if not m:
            if re.match(r"^# (HELP|TYPE)", line):
                bad.append("%d: bad comment %r" % (ln, line))
            continue
        if m.group(1) == "TYPE":
            if m.group(3) not in ("counter", "gauge", "histogram", "summary", "untyped"):
                bad.append("%d: bad type %r" % (ln, line))
            if m.group(2) in types:
                bad.append("%d: second TYPE for %s" % (ln, m.group(2)))
            types[m.group(2)] = m.group(3)
        else:
            helps.add(m.group(2))
        continue
    m = sample.match(line)
    if not m:
        bad.append("%d: not 'name{labels} value': %r" % (ln, line))
        continue
    try:
        float(m.group(5))
    except ValueError:
        bad.append("%d: value %r" % (ln, m.group(5)))
    if m.group(1) not in types:
        bad.append("%d: sample %s before/without its TYPE" % (ln, m.group(1)))
    elif types[m.group(1)] == "counter" and not m.group(1).endswith("_total"):
        bad.append("%d: counter %s without _total" % (ln, m.group(1)))
    series = m.group(1) + (m.group(2) or "")
    if series in seen:
        bad.append("%d: duplicate series %s" % (ln, series))
    seen.add(series)
    n += 1
if not n:
    bad.append("no samples")
print("; ".join(bad[:5]) if bad else "%d samples in %d families" % (n, len(types)))
sys.exit(1 if bad else 0)
EOF
}

if fetch; then ok "GET /metrics"; else fail "cannot GET http://127.0.0.1:$MPORT/metrics in the collector netns"; exit 1; fi
[ "$(mval nfx_up)" = 1 ] && ok "nfx_up 1" || fail "nfx_up is '$(mval nfx_up)'"
hdr=$(nfxt_c curl -s -o /dev/null -w '%{http_code} %{content_type}' "http://127.0.0.1:$MPORT/metrics")
[[ "$hdr" == "200 text/plain; version=0.0.4"* ]] && ok "served as $hdr" || fail "response: $hdr"
code=$(nfxt_c curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$MPORT/nothere")
[ "$code" = 404 ] && ok "other paths: 404" || fail "GET /nothere: $code"
# only GET (and HEAD): a POST is not answered with the page
code=$(nfxt_c curl -s -o /dev/null -w '%{http_code}' -d x "http://127.0.0.1:$MPORT/metrics")
[ "$code" != 200 ] && ok "POST not served ($code)" || fail "POST /metrics: $code"
# a request bigger than the 8 KiB a connection may hold is refused
big=$(head -c 12000 /dev/zero | tr '\0' a)
code=$(nfxt_c curl -s -o /dev/null -w '%{http_code}' -H "X-Big: $big" "http://127.0.0.1:$MPORT/metrics")
[ "$code" != 200 ] && ok "12 KB of headers refused ($code)" || fail "12 KB of headers: $code"
code=$(nfxt_c curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$MPORT/metrics")
[ "$code" = 200 ] && ok "served again after the refusals" || fail "GET after refusals: $code"
# loopback only: not reachable on the veth address
if nfxt_c curl -s --max-time 2 -o /dev/null "http://$IP_C:$MPORT/metrics"; then
	fail "metrics reachable on $IP_C, asked for 127.0.0.1"
else
	ok "bound to 127.0.0.1 only"
fi

# ---- traffic: v5 20 x 3, v9 10 x 4, IPFIX 10 x 4 ----
nfxt_e $NFSEND --dst "$IP_C" --port 2055 --kind v5 --messages 20 --records 3 --sockets 8 --sport 41000
nfxt_e $NFSEND --dst "$IP_C" --port 2055 --kind v9 --messages 10 --records 4 --sport 42000
nfxt_e $NFSEND --dst "$IP_C" --port 4739 --kind ipfix --messages 10 --records 4 --sport 43000
wait_for '[ "$(msum nfx_output_records_total "")" -ge 140 ]' ||
	fail "nfx_output_records_total stays at $(msum nfx_output_records_total "") (want 140)"
# the page is built once a second: what it says must all be from after the traffic
for s in 'nfx_decoder_records_total{version="v5"} 60' 'nfx_decoder_records_total{version="v9"} 40' \
	'nfx_decoder_records_total{version="ipfix"} 40' 'nfx_xdp_redirected_total{version="v5"} 20' \
	'nfx_xdp_redirected_total{version="v9"} 10' 'nfx_xdp_redirected_total{version="ipfix"} 10' \
	'nfx_output_records_total 140'; do
	set -- $s
	[ "$(mval "$1")" = "$2" ] && ok "$1 $2" || fail "$1 is '$(mval "$1")', want $2"
done
q0=$(mval 'nfx_xsk_rx_frames_total{queue="0"}')
q1=$(mval 'nfx_xsk_rx_frames_total{queue="1"}')
if [ -n "$q0" ] && [ -n "$q1" ] && [ $((q0 + q1)) -eq 40 ]; then
	ok "nfx_xsk_rx_frames_total queue 0: $q0, queue 1: $q1 (40 messages)"
else
	fail "nfx_xsk_rx_frames_total queue 0 '$q0', queue 1 '$q1', want a sum of 40"
fi
for v in v9 ipfix; do
	f="exporter=\"$IP_E\""
	got=$(msum nfx_exporter_records_total "$f")
	lines=$(grep -c "^nfx_exporter_records_total{.*$f.*version=\"$v\"" "$PAGE")
	sum=$(awk -v v="version=\"$v\"" -v f="$f" '/^nfx_exporter_records_total\{/ && index($1, v) && index($1, f) { s += $2 } END { print s + 0 }' "$PAGE")
	[ "$lines" -ge 1 ] && [ "$sum" -eq 40 ] && ok "nfx_exporter_records_total{$f,...,version=\"$v\"} $sum" ||
		fail "nfx_exporter_records_total for $IP_E $v: $lines series, sum '$sum', want 40 (all: $got)"
done
if why=$(checkfmt); then ok "Prometheus text format ($why)"; else fail "format: $why"; fi

# ---- malformed traffic: the drop counter of each defect, exactly ----
declare -A want=( [short]="other short_pkt 2055" [bad_version]="other bad_version 2055"
		  [bad_count]="v5 bad_count 2055" [truncated]="v5 truncated 2055"
		  [bad_length]="ipfix bad_length 4739" )
declare -A before
fetch
for kind in "${!want[@]}"; do
	set -- ${want[$kind]}
	before[$kind]=$(mval "nfx_xdp_$2_total{version=\"$1\"}")
done
N=5
for kind in "${!want[@]}"; do
	set -- ${want[$kind]}
	nfxt_e $NFSEND --dst "$IP_C" --port "$3" --kind "$kind" --messages $N --sport 45000
done
# the kernel counters are final once `nfxdp stats` shows them; then the page
for kind in "${!want[@]}"; do
	set -- ${want[$kind]}
	nfxt_wait_stat "$1" "$2" $((${before[$kind]:-0} + N)) 10
done
all_moved() {
	local kind
	for kind in "${!want[@]}"; do
		set -- ${want[$kind]}
		[ "$(mval "nfx_xdp_$2_total{version=\"$1\"}")" -ge $((${before[$kind]:-0} + N)) ] || return 1
	done
}
wait_for all_moved || fail "the page's drop counters did not reach what nfxdp stats shows"
for kind in "${!want[@]}"; do
	set -- ${want[$kind]}
	s="nfx_xdp_$2_total{version=\"$1\"}"
	got=$(mval "$s")
	st=$(nfxt_stat "$1" "$2")
	if [ "$got" = $((${before[$kind]:-0} + N)) ] && [ "$got" = "$st" ]; then
		ok "$kind x$N: $s ${before[$kind]} -> $got (= nfxdp stats)"
	else
		fail "$kind x$N: $s ${before[$kind]} -> '$got', nfxdp stats $st"
	fi
done
red=$(mval 'nfx_xdp_redirected_total{version="v5"}')
[ "$red" = 20 ] && ok "malformed packets not redirected (v5 redirected stays 20)" ||
	fail "v5 redirected $red after malformed traffic, want 20"
if why=$(checkfmt); then :; else fail "format after malformed traffic: $why"; fi

nfxt_stop; rc=$?
[ "$rc" -eq 0 ] && ok "exit status 0" || fail "nfxdp exited with $rc"

# --metrics PORT alone: loopback by default
nfxt_start -i "$IF_C" --pin-dir "$PIN_DIR" --metrics $((MPORT + 1)) ||
	{ fail "nfxdp run --metrics PORT did not start"; exit 1; }
MPORT=$((MPORT + 1))
if wait_for '[ "$(mval nfx_up)" = 1 ]' &&
	! nfxt_c curl -s --max-time 2 -o /dev/null "http://$IP_C:$MPORT/metrics"; then
	ok "--metrics $MPORT: on 127.0.0.1 only"
else
	fail "--metrics $MPORT: not on 127.0.0.1, or also on $IP_C"
fi
nfxt_stop || fail "nfxdp (--metrics PORT) exited with $?"

# aggregated, a namespace with a quote and a backslash (legal JSON, legal
# namespace): the page stays valid, the label value escaped as \" and \\
CFG=$WORK/nfxdp.json
printf '%s\n' '{ "namespace": "dc\"1\\x", "listeners": [ { "flow_type": "netflow5", "port": 2055 } ] }' >"$CFG"
NFXT_AGG=1 nfxt_start -i "$IF_C" --pin-dir "$PIN_DIR" -c "$CFG" --metrics "127.0.0.1:$MPORT" ||
	{ fail "nfxdp run (aggregated, namespace dc\"1\\x) did not start"; exit 1; }
nfxt_e $NFSEND --dst "$IP_C" --port 2055 --kind v5 --messages 4 --records 2
wait_for '[ "$(msum nfx_agg_flows_added_total "")" -ge 8 ]' ||
	fail "aggregated: nfx_agg_flows_added_total never reached 8"
# the context index in use, per aggregator: its smallest size for a handful of contexts
slots=$(awk '$1 ~ /^nfx_agg_index_slots[{]/ { print $2 }' "$PAGE" | sort -u | tr '\n' ' ')
[ "$slots" = "4096 " ] && ok "nfx_agg_index_slots 4096 in each aggregator, $(msum nfx_agg_contexts "") contexts" ||
	fail "nfx_agg_index_slots: '$slots', not 4096 in each aggregator"
if why=$(checkfmt); then
	grep -qF 'namespace="dc\"1\\x"' "$PAGE" && ok "namespace dc\"1\\x escaped in labels ($why)" ||
		fail "namespace label: $(grep -m1 -o 'namespace="[^}]*}' "$PAGE")"
else
	fail "aggregated page with namespace dc\"1\\x: $why"
fi
nfxt_stop || fail "nfxdp (aggregated) exited with $?"
exit $NFXT_FAILED
