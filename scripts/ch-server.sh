# SPDX-License-Identifier: BSD-2-Clause
# scripts/ch-server.sh - sourced by tests/netns/test-clickhouse.sh and
# bench/clickhouse.sh: a throw-away clickhouse-server (Debian 12's 18.16)
# configuration in a directory of its own, loopback only.

# ch_write_conf DIR HTTP_PORT TCP_PORT LOG_LEVEL [XML]: DIR/config.xml and
# DIR/users.xml (user default, no password, 127.0.0.1); XML goes inside
# <yandex> (ZooKeeper, macros, clusters).
ch_write_conf() {
	local d=$1
	mkdir -p "$d/data" "$d/log"
	cat >"$d/config.xml" <<EOF2
<?xml version="1.0"?>
<yandex>
  <logger><level>$4</level><log>$d/log/server.log</log><errorlog>$d/log/err.log</errorlog></logger>
  <http_port>$2</http_port>
  <tcp_port>$3</tcp_port>
  <listen_host>127.0.0.1</listen_host>
  <path>$d/data/</path>
  <tmp_path>$d/data/tmp/</tmp_path>
  <user_files_path>$d/data/user_files/</user_files_path>
  <users_config>$d/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <mark_cache_size>67108864</mark_cache_size>
  <uncompressed_cache_size>67108864</uncompressed_cache_size>
  <keep_alive_timeout>10</keep_alive_timeout>
${5:-}
</yandex>
EOF2
	cat >"$d/users.xml" <<'EOF2'
<?xml version="1.0"?>
<yandex>
  <profiles><default><max_memory_usage>2000000000</max_memory_usage></default></profiles>
  <users><default><password></password><networks><ip>127.0.0.1</ip></networks><profile>default</profile><quota>default</quota></default></users>
  <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors><result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time></interval></default></quotas>
</yandex>
EOF2
}

# ch_wait_ready DIR PID HTTP_PORT TRIES [CMD...]: until the server answers
# /ping (curl run through CMD, e.g. nsenter into a netns), 0.1 s a try;
# 1 with the end of its logs when it died or never answered.
ch_wait_ready() {
	local d=$1 pid=$2 port=$3 tries=$4 i
	shift 4
	for ((i = 0; i < tries; i++)); do
		"$@" curl -sf --max-time 1 "http://127.0.0.1:$port/ping" >/dev/null && return 0
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	tail -n 20 "$d/log/stdout" "$d/log/err.log" >&2
	return 1
}
