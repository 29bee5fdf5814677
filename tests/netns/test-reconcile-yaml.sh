#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# test-reconcile-yaml.sh - `nfxdp run -i IF -c datadog.yaml`: the Datadog
# Agent's own file (its other sections included) as the configuration, and
# live reloads from a valid YAML file to broken ones and back while an
# exporter sends (test-reconcile.sh is the JSON version):
#  - the Agent's file loads: records carry network_devices.namespace, its
#    unimplemented netflow keys are named once, its other sections not at all;
#  - a half-written YAML file and one with a bad value are rejected with their
#    line and column, and the running configuration stays in force (port map,
#    namespace, program, sockets), records keep flowing;
#  - an alias bomb and a 100000-deep nest: refused by their bounds, the same;
#  - SIGHUP with the broken file still there: rejected again, nothing changes;
#  - a valid file after them is applied (namespace dc1 -> dc2);
#  - every message the XDP program redirected during all of it is a record.
source "$(dirname "$0")/lib.sh"

command -v bpftool >/dev/null || skip "bpftool not installed"
nfxt_setup || { fail "netns/veth setup"; exit 1; }
CFG=$WORK/datadog.yaml

# agent_yaml NAMESPACE: a datadog.yaml collecting NetFlow v5 on 2055
agent_yaml() {
	cat <<EOF
api_key: 0123456789abcdef0123456789abcdef
site: datadoghq.com
logs_enabled: true
logs_config:
  container_collect_all: true
apm_config:
  enabled: false
network_devices:
  namespace: $1
  autodiscovery:
    workers: 10
  netflow:
    enabled: true
    stop_timeout: 5
    aggregator_buffer_size: 100
    listeners:
      - flow_type: netflow5
        port: 2055
        bind_host: 0.0.0.0
EOF
}
agent_yaml dc1 | nfxt_write_config "$CFG"
nfxt_start -i "$IF_C" --pin-dir "$PIN_DIR" -c "$CFG" || { fail "nfxdp run did not start"; exit 1; }
NFXT_EXTRA_CLEANUP='[ -n "${SENDER:-}" ] && kill $SENDER 2>/dev/null'

prog0=$(nfxt_prog_id)
xsk0=$(nfxt_xsk_inodes)
ports0=$(nfxt_ports_map)
[ "$(cut -d: -f1 <<<"$ports0")" = 2055 ] && ok "datadog.yaml loaded: port map [$ports0]" ||
	fail "port map [$ports0], want 2055 only"
if grep -q "unknown key" "$ERR"; then
	fail "the Agent's other sections were warned about: $(grep 'unknown key' "$ERR" | head -n 2)"
else
	ok "the Agent's other sections (api_key, logs_config, apm_config, ...) ignored without a word"
fi
line=$(grep "Datadog Agent keys accepted and ignored" "$ERR")
if [ "$(grep -c . <<<"$line")" = 1 ] &&
	grep -q "ignored: stop_timeout, aggregator_buffer_size$" <<<"$line"; then
	ok "the Agent's unimplemented keys named once: ${line#nfxdp: }"
else
	fail "Agent keys log line: [$line]"
fi

# namespaces BASE COUNT: the distinct device.namespace of records BASE.., sorted
namespaces() {
	python3 - "$OUT" "$1" "$2" <<'EOF'
import json, sys
lo, n = int(sys.argv[2]), int(sys.argv[3])
ns = set()
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r.get("type") == "netflow5" and lo <= int(r["source"]["port"]) - 1000 < lo + n:
        ns.add(r["device"]["namespace"])
print(" ".join(sorted(ns)))
EOF
}
# flows BASE NS WHAT: 10 messages from BASE are all decoded, in namespace NS
flows() {
	nfxt_send_v5 2055 "$1" 10 --sport $((40000 + $1 / 100))
	nfxt_expect_records "$1" 10 "$3: collection continues"
	[ "$(namespaces "$1" 10)" = "$2" ] && ok "$3: namespace $2" ||
		fail "$3: namespaces [$(namespaces "$1" 10)], want $2"
}
# unchanged WHAT: port map, program and AF_XDP sockets as at the start
unchanged() {
	local p x m
	p=$(nfxt_prog_id)
	x=$(nfxt_xsk_inodes)
	m=$(nfxt_ports_map)
	if [ "$p" = "$prog0" ] && [ "$x" = "$xsk0" ] && [ "$m" = "$ports0" ]; then
		ok "$1: port map [$m], program $p, AF_XDP sockets [$x] unchanged"
	else
		fail "$1: port map [$ports0] -> [$m], program $prog0 -> $p, sockets [$xsk0] -> [$x]"
	fi
}
# broken TEXT WHAT: TEXT replaces the file, is rejected with a line:column,
# and collection goes on under the running configuration
broken() {
	local rejected
	rejected=$(nfxt_reloads rejected)
	printf '%s' "$1" | nfxt_write_config "$CFG"
	if nfxt_reloaded rejected "$rejected"; then
		msg=$(grep 'stays in force' "$ERR" | tail -n 1)
		if grep -qE "datadog.yaml: [0-9]+:[0-9]+: " <<<"$msg"; then
			ok "$2 rejected with its position: ${msg#nfxdp: }"
		else
			fail "$2 rejected without a line:column: $msg"
		fi
	else
		fail "$2 not rejected"
	fi
}

flows 0 dc1 "the Agent's file, namespace from network_devices.namespace"

# ---- valid -> broken -> broken -> SIGHUP -> valid, while one exporter sends ----
N=300
red0=$(nfxt_stat v5 redirected)
nfxt_send_v5 2055 1000 $N --gap 0.02 --sport 41000 &
SENDER=$!
for _ in $(seq 1 100); do
	[ -n "$(nfxt_indices netflow5 1000 1010)" ] && break
	sleep 0.1
done

# cut in the middle of a write: a second listener left open
broken "$(agent_yaml dc9)
      - flow_type: [netflow9" "half-written YAML"
flows 3000 dc1 "half-written YAML"
unchanged "after the half-written YAML"

broken "$(agent_yaml dc9 | sed 's/port: 2055/port: 70000/')" "a port out of range"
grep -q "listeners\[0\].port: 70000 is not a port" "$ERR" ||
	fail "no message naming listeners[0].port"
unchanged "after the bad value"

# hostile documents: a billion laughs and a deep nest, refused where they start
broken "$(python3 -c '
s = "network_devices:\n  netflow:\n    a: &a [1, 2, 3, 4, 5, 6, 7, 8, 9]\n"
for p, n in zip("abcdefgh", "bcdefghi"):
    s += "    %s: &%s [%s]\n" % (n, n, ", ".join(["*" + p] * 9))
print(s)')" "an alias bomb"
grep -q "more than 16384 YAML nodes" "$ERR" || fail "the alias bomb not refused by its bound"
broken "network_devices: {netflow: {output: $(printf '[%.0s' $(seq 1 100000))" "100000 nested ["
unchanged "after the hostile documents"

rejected=$(nfxt_reloads rejected)
kill -HUP "$NFXDP_PID"
nfxt_reloaded rejected "$rejected" && ok "SIGHUP with the bad file still there: rejected again" ||
	fail "SIGHUP did not reload the bad file"
flows 4000 dc1 "after SIGHUP"

applied=$(nfxt_reloads applied)
agent_yaml dc2 | nfxt_write_config "$CFG"
nfxt_reloaded applied "$applied" && ok "valid YAML after the broken ones applied" ||
	fail "valid YAML after the broken ones not applied"
flows 5000 dc2 "valid YAML again"
unchanged "after the valid YAML"

wait $SENDER
SENDER=
nfxt_expect_records 1000 $N "the exporter's $N messages sent across every reload: all decoded"
count_all() {
	echo $(($(nfxt_indices netflow5 1000 $((1000 + N)) | wc -l) + 30))
}
red=$(($(nfxt_stat v5 redirected) - red0))
for _ in $(seq 1 50); do
	[ "$(count_all)" -ge "$red" ] && break
	sleep 0.1
done
got=$(count_all)
[ "$red" -eq "$got" ] && ok "records lost: 0 ($red messages redirected, $got records)" ||
	fail "$red messages redirected but $got records decoded"

nfxt_stop; rc=$?
[ "$rc" -eq 0 ] && ok "exit status 0" || fail "nfxdp exited with $rc"
exit $NFXT_FAILED
