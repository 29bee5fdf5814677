#!/bin/bash
# test-output-perms.sh - the files the daemon writes cannot be redirected and
# are not for everyone (issue 17): a symbolic link at the output path is
# refused and its target left alone; a new output file gets output.mode
# (0640 by default, --output-mode, "mode" in the file; a mode that is not
# octal or lets everyone write is refused); the stats file is 0640 and a
# link planted at its temporary name is not written through.  UDP mode on
# loopback: no privileges.
set -u
cd "$(dirname "$0")/../.."
NFXDP=${NFXDP:-build/nfxdp}
W=$(mktemp -d /tmp/nfxtest-perms.XXXXXX)
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$W"
}
trap cleanup EXIT
ok() { echo "ok output-perms $*"; }
fail() { echo "FAIL output-perms $*"; }
port=$((20000 + $$ % 20000))
umask 022

# run_one NAME ARGS...: the daemon with ARGS until one record is written (or it exits)
run_one() {
	local name=$1
	shift
	"$NFXDP" run --udp --bind 127.0.0.1 -p "$port" --raw --stats-file none "$@" \
		2>"$W/$name.log" &
	pid=$!
	for _ in $(seq 1 30); do
		kill -0 "$pid" 2>/dev/null || break
		grep -q "collecting on" "$W/$name.log" && break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		python3 tests/tools/nfsend.py --dst 127.0.0.1 --port "$port" --kind v5 \
			--records 1 >/dev/null
		sleep 0.5
		kill "$pid"
	fi
	wait "$pid"
	rc=$?
	pid=
}

mode_of() { stat -c %a "$1" 2>/dev/null; }

# ---- a symbolic link at the output path ----
echo "important" > "$W/victim"
ln -s "$W/victim" "$W/link.ndjson"
for gz in "" --gzip; do
	run_one "link$gz" -o "$W/link.ndjson" $gz
	if [ "$rc" != 0 ] && [ "$(cat "$W/victim")" = important ] &&
	   grep -q "symbolic link" "$W/link$gz.log"; then
		ok "symbolic link at the output path refused${gz:+ ($gz)}, its target untouched"
	else
		fail "symbolic link${gz:+ ($gz)}: rc=$rc, target '$(head -c 60 "$W/victim")', log: $(head -c 200 "$W/link$gz.log")"
	fi
done

# ---- the mode of a new output file ----
run_one default -o "$W/default.ndjson"
[ "$(mode_of "$W/default.ndjson")" = 640 ] && [ -s "$W/default.ndjson" ] &&
	ok "new output file: mode 0640 by default" ||
	fail "new output file: mode $(mode_of "$W/default.ndjson"), rc=$rc"
run_one flag -o "$W/flag.ndjson.gz" --gzip --output-mode 0600
[ "$(mode_of "$W/flag.ndjson.gz")" = 600 ] && ok "--output-mode 0600" ||
	fail "--output-mode 0600: mode $(mode_of "$W/flag.ndjson.gz"), rc=$rc"
printf '{"output":{"path":"%s","raw":true,"mode":"0660"}}' "$W/cfg.ndjson" > "$W/cfg.json"
(umask 077; run_one cfg -c "$W/cfg.json"; exit "$rc")
[ "$(mode_of "$W/cfg.ndjson")" = 660 ] && ok "output.mode \"0660\", whatever the umask" ||
	fail "output.mode 0660: mode $(mode_of "$W/cfg.ndjson")"
chmod 0604 "$W/default.ndjson"
run_one existing -o "$W/default.ndjson"
[ "$(mode_of "$W/default.ndjson")" = 604 ] && ok "an existing file keeps its mode" ||
	fail "existing file: mode $(mode_of "$W/default.ndjson")"
for bad in '"0666"' '416' '"0999"' '"01777"' '"rw-r-----"'; do
	printf '{"output":{"path":"%s","mode":%s}}' "$W/bad.ndjson" "$bad" > "$W/bad.json"
	run_one bad -c "$W/bad.json"
	if [ "$rc" != 0 ] && [ ! -e "$W/bad.ndjson" ] && grep -q "output.mode" "$W/bad.log"; then
		ok "output.mode $bad refused: $(grep -m1 'output.mode' "$W/bad.log" | sed 's/.*output.mode: //')"
	else
		fail "output.mode $bad: rc=$rc, log: $(head -c 200 "$W/bad.log")"
	fi
done

# ---- the stats file ----
echo "important" > "$W/victim2"
ln -s "$W/victim2" "$W/d.prom.tmp"
"$NFXDP" run --udp --bind 127.0.0.1 -p "$port" --raw -o /dev/null --stats-file "$W/d.prom" \
	2>"$W/stats.log" &
pid=$!
for _ in $(seq 1 50); do [ -s "$W/d.prom" ] && break; sleep 0.1; done
m=$(mode_of "$W/d.prom")
kill "$pid"; wait "$pid"; pid=
[ "$m" = 640 ] && ok "stats file: mode 0640" || fail "stats file: mode ${m:-none}"
[ "$(cat "$W/victim2")" = important ] && ok "stats file: a link at its temporary name is not followed" ||
	fail "stats file: written through the link at d.prom.tmp"
