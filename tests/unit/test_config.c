// SPDX-License-Identifier: BSD-2-Clause
/*
 * test_config.c - the configuration file (parsing, defaults, every kind of
 * invalid file, the port map it implies, the diff), reconcile on real BPF
 * maps created here (needs root), and the inotify watch.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "check.h"
#include "control/config.h"
#include "base/log.h"
#include "control/config_watch.h"
#include "control/config_yaml.h"
#include "control/reconcile.h"
#include "yaml_emit.h"

static char example_path[PATH_MAX] = "doc/nfxdp.example.json";

static struct nfx_config *parse_yaml(const char *text)
{
	struct nfx_config *c = NULL;
	char err[512];
	int rc = nfx_config_parse("config.yaml", text, strlen(text), &c, err, sizeof(err));

	CHECK(rc == 0 && c, "YAML parse failed (%d): %s\n  text:\n%s", rc, err, text);
	return c;
}

/*
 * Every JSON text a test parses is also written as YAML and parsed again:
 * one case table, two syntaxes, and the two configurations must not differ.
 */
static struct nfx_config *parse(const char *text)
{
	struct nfx_config *c = NULL, *y;
	struct yaml_emit e;
	char err[256];
	int rc = nfx_config_parse("config.json", text, strlen(text), &c, err, sizeof(err));

	CHECK(rc == 0 && c, "parse failed (%d): %s\n  text: %s", rc, err, text);
	if (yaml_from_json(&e, text) == 0) {
		y = parse_yaml(e.buf);
		CHECK(!c || !y || nfx_config_diff(c, y) == 0, "YAML differs: %#x\n%s",
		      nfx_config_diff(c, y), e.buf);
		nfx_config_free(y);
	}
	free(e.buf);
	return c;
}

static int write_file(const char *path, const char *text, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, text, len);
	close(fd);
	return n == (ssize_t)len ? 0 : -EIO;
}

static char *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	char *buf;

	if (!f)
		return NULL;
	buf = calloc(1, 1 << 16);
	*len = buf ? fread(buf, 1, (1 << 16) - 1, f) : 0;
	fclose(f);
	return buf;
}

/* ---- parsing ---- */

static void test_example(void)
{
	struct nfx_port_want w[8];
	struct nfx_config *c = NULL;
	char err[256], buf[64];
	int rc, n;

	rc = nfx_config_load(example_path, &c, err, sizeof(err));
	CHECK(rc == 0, "%s: %s", example_path, err);
	if (rc)
		return;
	CHECK_EQ(c->enabled, 1);
	CHECK(!strcmp(c->namespace, "dc1"), "namespace %s", c->namespace);
	CHECK_EQ(c->nlisteners, 3);
	CHECK_EQ(c->listeners[0].flow_type, NFX_LISTEN_NETFLOW5);
	CHECK_EQ(c->listeners[0].port, 2055);
	CHECK_EQ(c->listeners[0].versions, NFX_VERS_LEGACY);
	CHECK(!strcmp(c->listeners[0].namespace, "dc1"), "ns0 %s", c->listeners[0].namespace);
	CHECK_EQ(c->listeners[0].nmapping, 0);
	CHECK_EQ(c->listeners[1].flow_type, NFX_LISTEN_NETFLOW9);
	CHECK_EQ(c->listeners[1].versions, NFX_VERS_MODERN);
	CHECK(!strcmp(c->listeners[1].namespace, "dc1-core"), "ns1 %s", c->listeners[1].namespace);
	CHECK_EQ(c->listeners[1].nmapping, 1);
	CHECK_EQ(c->listeners[1].mapping[0].field, 34);
	CHECK_EQ(c->listeners[1].mapping[0].type, NFX_MAP_INTEGER);
	CHECK_EQ(c->listeners[1].mapping[0].little_endian, 0);
	CHECK(!strcmp(c->listeners[1].mapping[0].destination, "sampling_interval"), "dest");
	CHECK_EQ(c->listeners[2].flow_type, NFX_LISTEN_IPFIX);
	CHECK_EQ(c->listeners[2].port, 4739);
	CHECK_EQ(c->listeners[2].nmapping, 5);
	CHECK_EQ(c->listeners[2].mapping[0].type, NFX_MAP_HEX);
	CHECK_EQ(c->listeners[2].mapping[1].type, NFX_MAP_STRING);
	CHECK_EQ(c->listeners[2].mapping[2].type, NFX_MAP_IP);
	CHECK(!strcmp(c->listeners[2].mapping[3].destination, "destination.port"), "dest");
	CHECK_EQ(c->listeners[2].mapping[3].enterprise, 0);
	CHECK_EQ(c->listeners[2].mapping[4].enterprise, 9);
	CHECK_EQ(c->listeners[2].mapping[4].field, 12235);
	CHECK_EQ(c->agg_flush_interval, 300);
	CHECK_EQ(c->agg_flow_context_ttl, 600);
	CHECK_EQ(c->agg_port_rollup_threshold, 10);
	CHECK_EQ(c->agg_port_rollup_disabled, 0);
	CHECK_EQ(c->agg_rollup_tracker_refresh, 300);
	CHECK_EQ(c->agg_max_contexts, 1048576);
	CHECK_EQ(c->agg_max_memory, 0);
	CHECK_EQ(c->template_ttl, 1800);
	CHECK_EQ(c->template_sweep_interval, 300);
	CHECK_EQ(c->max_exporters, 4096);
	CHECK_EQ(c->max_templates, 4096);
	CHECK_EQ(c->nallow, 3);
	if (c->nallow == 3) {
		/* sorted as a set: ::ffff:a.b.c.d sorts before 2001:... */
		CHECK(!strcmp(nfx_allow_str(&c->allow[0], buf, sizeof(buf)), "10.0.0.0/8"), "%s", buf);
		CHECK_EQ(c->allow[0].prefixlen, 104);
		CHECK(!strcmp(nfx_allow_str(&c->allow[1], buf, sizeof(buf)), "192.0.2.17/32"), "%s", buf);
		CHECK_EQ(c->allow[1].prefixlen, 128);
		CHECK(!strcmp(nfx_allow_str(&c->allow[2], buf, sizeof(buf)), "2001:db8::/32"), "%s", buf);
		CHECK_EQ(c->allow[2].prefixlen, 32);
	}
	CHECK(!strcmp(c->output.path, "/var/log/nfxdp/flows.ndjson"), "path %s", c->output.path);
	CHECK_EQ(c->output.rotate_size, 104857600);
	CHECK_EQ(c->output.rotate_interval, 3600);
	CHECK_EQ(c->output.gzip, 1);
	CHECK_EQ(c->output.raw, 0);
	n = nfx_config_ports(c, w, 8);
	CHECK_EQ(n, 2);
	CHECK(n == 2 && w[0].port == 2055 && w[0].versions == NFX_VERS_ALL, "2055 merged");
	CHECK(n == 2 && w[1].port == 4739 && w[1].versions == NFX_VERS_MODERN, "4739");
	nfx_config_free(c);
}

static void check_defaults(const struct nfx_config *c, const char *ns, unsigned int flush)
{
	CHECK_EQ(c->enabled, 1);
	CHECK(!strcmp(c->namespace, ns), "namespace %s", c->namespace);
	CHECK_EQ(c->nlisteners, 3);
	for (size_t i = 0; i < c->nlisteners; i++)
		CHECK(!strcmp(c->listeners[i].namespace, ns), "listener %zu ns %s", i,
		      c->listeners[i].namespace);
	CHECK_EQ(c->agg_flush_interval, flush);
	CHECK_EQ(c->agg_flow_context_ttl, flush);
	CHECK_EQ(c->agg_port_rollup_threshold, 10);
	CHECK_EQ(c->agg_port_rollup_disabled, 0);
	CHECK_EQ(c->agg_rollup_tracker_refresh, 300);
	CHECK_EQ(c->template_ttl, 1800);
	CHECK_EQ(c->template_sweep_interval, 300);
	CHECK_EQ(c->nallow, 0);
	CHECK(!strcmp(c->output.path, "-"), "output.path %s", c->output.path);
	CHECK_EQ(c->output.rotate_size, 0);
	CHECK_EQ(c->output.rotate_interval, 0);
	CHECK_EQ(c->output.gzip, 0);
	CHECK_EQ(c->output.raw, 0);
}

static void test_defaults(void)
{
	struct nfx_config *d = nfx_config_default(), *e, *f;
	struct nfx_port_want w[4];

	CHECK(d != NULL, "nfx_config_default");
	if (!d)
		return;
	check_defaults(d, "default", 300);
	CHECK_EQ(d->agg_flow_context_ttl, 300);
	/* same port map as `nfxdp run` without -p */
	CHECK_EQ(nfx_config_ports(d, w, 4), 2);
	CHECK(w[0].port == 2055 && w[0].versions == NFX_VERS_ALL, "2055 all");
	CHECK(w[1].port == 4739 && w[1].versions == NFX_VERS_MODERN, "4739 modern");

	e = parse("{}");
	if (e) {
		check_defaults(e, "default", 300);
		CHECK_EQ(nfx_config_diff(d, e), 0);
		nfx_config_free(e);
	}
	/* the TTL follows the flush interval; default listeners follow the namespace */
	f = parse("{\"aggregator_flush_interval\": 60, \"namespace\": \"lab\"}");
	if (f) {
		check_defaults(f, "lab", 60);
		nfx_config_free(f);
	}
	f = parse("{\"listeners\": []}");
	if (f) {
		CHECK_EQ(f->nlisteners, 0);
		CHECK_EQ(nfx_config_ports(f, w, 4), 0);
		nfx_config_free(f);
	}
	nfx_config_free(d);
}

struct bad_case {
	const char *text;
	int err;
	const char *msg;	/* the whole message */
};

static const struct bad_case bad_cases[] = {
	{ "{\"enabled\": true,}", -EINVAL,
	  "config.json: 1:18: JSON syntax error at offset 17: unexpected character" },
	{ "{\n  \"enabled\": true,\n  \"namespace\": dc1\n}", -EINVAL,
	  "config.json: 3:16: JSON syntax error at offset 36: unexpected character" },
	{ "{\n  \"enabled\": tru\n}", -EINVAL,
	  "config.json: 2:17: JSON syntax error at offset 18: boolean expected" },
	{ "{\"listeners\": [{\"flow_type\": \"ipfix\"", -EINVAL,
	  "config.json: 1:37: unexpected end of file (offset 36): truncated or half-written JSON" },
	{ "{} {}", -EINVAL, "config.json: 1:4: JSON syntax error at offset 3: unexpected character" },
	{ "  \n", -EINVAL, "config.json: empty file, expected a JSON object or a YAML mapping" },
	{ "[1, 2]", -EINVAL, "config.json: expected a JSON object at the top, got an array" },
	{ "{\"enabled\": \"yes\"}", -EINVAL,
	  "config.json: enabled: expected true or false, got a string \"yes\"" },
	{ "{\"aggregator_flush_interval\": \"300\"}", -EINVAL,
	  "config.json: aggregator_flush_interval: expected an integer, got a string \"300\"" },
	{ "{\"aggregator_flush_interval\": 1.5}", -EINVAL,
	  "config.json: aggregator_flush_interval: expected an integer, got a number with a fraction 1.5" },
	{ "{\"aggregator_flush_interval\": 0}", -EINVAL,
	  "config.json: aggregator_flush_interval: 0 is out of range (1-86400)" },
	{ "{\"aggregator_port_rollup_threshold\": -3}", -EINVAL,
	  "config.json: aggregator_port_rollup_threshold: -3 is out of range (2-255)" },
	/* the aggregator's real range: refused, no longer clamped at start */
	{ "{\"aggregator_port_rollup_threshold\": 256}", -EINVAL,
	  "config.json: aggregator_port_rollup_threshold: 256 is out of range (2-255)" },
	{ "{\"aggregator_port_rollup_threshold\": 1}", -EINVAL,
	  "config.json: aggregator_port_rollup_threshold: 1 is out of range (2-255)" },
	{ "{\"aggregator_max_memory\": -1}", -EINVAL,
	  "config.json: aggregator_max_memory: -1 is out of range (0-1125899906842624)" },
	{ "{\"template_ttl\": 99999999999999999999}", -EINVAL,
	  "config.json: template_ttl: 18446744073709551615 is out of range (1-604800)" },
	{ "{\"namespace\": \"\"}", -EINVAL, "config.json: namespace: must not be empty" },
	{ "{\"namespace\": \"a\\u0000b\"}", -EINVAL,
	  "config.json: namespace: contains a NUL character" },
	{ "{\"output\": {\"rotate_size\": -1}}", -EINVAL,
	  "config.json: output.rotate_size: -1 is out of range (0-1125899906842624)" },
	{ "{\"output\": {\"path\": \"\"}}", -EINVAL, "config.json: output.path: must not be empty" },
	{ "{\"output\": \"-\"}", -EINVAL,
	  "config.json: output: expected an object, got a string \"-\"" },
	{ "{\"listeners\": {}}", -EINVAL,
	  "config.json: listeners: expected an array, got an object" },
	{ "{\"listeners\": [{\"flow_type\": \"netflow5\"}, {\"flow_type\": \"ipfix\", \"port\": 70000}]}",
	  -EINVAL, "config.json: listeners[1].port: 70000 is not a port (1-65535)" },
	{ "{\"listeners\": [{\"flow_type\": \"ipfix\", \"port\": 0}]}", -EINVAL,
	  "config.json: listeners[0].port: 0 is not a port (1-65535)" },
	{ "{\"listeners\": [{\"flow_type\": \"ipfix\", \"port\": \"4739\"}]}", -EINVAL,
	  "config.json: listeners[0].port: expected an integer port, got a string \"4739\"" },
	{ "{\"listeners\": [{\"flow_type\": \"netflow7\"}]}", -EINVAL,
	  "config.json: listeners[0].flow_type: \"netflow7\" is not one of netflow5, netflow9, ipfix, sflow5" },
	{ "{\"listeners\": [{\"flow_type\": \"sflow\"}]}", -EINVAL,
	  "config.json: listeners[0].flow_type: \"sflow\" is not supported by nfxdp (use netflow5, netflow9, ipfix, sflow5)" },
	{ "{\"listeners\": [{\"flow_type\": \"sflow5\", \"port\": 2055}, {\"flow_type\": \"netflow9\"}]}", -EINVAL,
	  "config.json: listeners[1]: netflow9 on port 2055: sFlow and NetFlow/IPFIX need ports of their own (listeners[0] is sflow5)" },
	{ "{\"listeners\": [{\"port\": 2055}]}", -EINVAL,
	  "config.json: listeners[0].flow_type: missing (required)" },
	{ "{\"listeners\": [7]}", -EINVAL,
	  "config.json: listeners[0]: expected an object, got an integer" },
	{ "{\"listeners\": [{\"flow_type\": \"netflow9\", \"namespace\": \"a\"},"
	  " {\"flow_type\": \"ipfix\", \"port\": 2055, \"namespace\": \"b\"}]}", -EINVAL,
	  "config.json: listeners[1]: ipfix on port 2055 conflicts with listeners[0] (netflow9 on the same port, different namespace or mapping)" },
	{ "{\"listeners\": [{\"flow_type\": \"ipfix\", \"mapping\": [{\"field\": 0, \"destination\": \"x\"}]}]}",
	  -EINVAL, "config.json: listeners[0].mapping[0].field: 0 is out of range (1-65535)" },
	{ "{\"listeners\": [{\"flow_type\": \"ipfix\", \"bind_host\": \"localhost\"}]}", -EINVAL,
	  "config.json: listeners[0].bind_host: \"localhost\" is not an IPv4 or IPv6 address" },
	{ "{\"listeners\": [{\"flow_type\": \"netflow5\", \"bind_host\": \"127.0.0.1\"},"
	  " {\"flow_type\": \"netflow9\"}]}", -EINVAL,
	  "config.json: listeners[1]: port 2055 is bound on the default here and on 127.0.0.1 by listeners[0]: one socket per port, give both the same bind_host" },
	{ "{\"listeners\": [{\"flow_type\": \"ipfix\", \"mapping\": [{\"field\": 95}]}]}", -EINVAL,
	  "config.json: listeners[0].mapping[0].destination: missing (required)" },
	{ "{\"listeners\": [{\"flow_type\": \"ipfix\", \"mapping\": [{\"field\": 95, \"destination\": \"x\", \"type\": \"float\"}]}]}",
	  -EINVAL, "config.json: listeners[0].mapping[0].type: \"float\" is not one of hex, string, integer, ip" },
	{ "{\"listeners\": [{\"flow_type\": \"ipfix\", \"mapping\": [{\"field\": 95, \"destination\": \"x\", \"endianness\": \"middle\"}]}]}",
	  -EINVAL, "config.json: listeners[0].mapping[0].endianness: \"middle\" is not one of big, little" },
	{ "{\"listeners\": [{\"flow_type\": \"ipfix\", \"mapping\": {}}]}", -EINVAL,
	  "config.json: listeners[0].mapping: expected an array, got an object" },
	{ "{\"exporter_allowlist\": \"10.0.0.0/8\"}", -EINVAL,
	  "config.json: exporter_allowlist: expected an array of addresses, got a string" },
	{ "{\"exporter_allowlist\": [\"10.0.0.0/8\", 10]}", -EINVAL,
	  "config.json: exporter_allowlist[1]: expected a string \"ADDR[/LEN]\", got an integer" },
	{ "{\"exporter_allowlist\": [\"10.0.0.0/33\"]}", -EINVAL,
	  "config.json: exporter_allowlist[0]: \"10.0.0.0/33\": prefix length \"33\" is not 0-32" },
	{ "{\"exporter_allowlist\": [\"2001:db8::/129\"]}", -EINVAL,
	  "config.json: exporter_allowlist[0]: \"2001:db8::/129\": prefix length \"129\" is not 0-128" },
	{ "{\"exporter_allowlist\": [\"10.0.0.0/\"]}", -EINVAL,
	  "config.json: exporter_allowlist[0]: \"10.0.0.0/\": prefix length \"\" is not 0-32" },
	{ "{\"exporter_allowlist\": [\"10.0.0.0/-1\"]}", -EINVAL,
	  "config.json: exporter_allowlist[0]: \"10.0.0.0/-1\": prefix length \"-1\" is not 0-32" },
	{ "{\"exporter_allowlist\": [\"10.0.0.256\"]}", -EINVAL,
	  "config.json: exporter_allowlist[0]: \"10.0.0.256\" is not an IPv4 or IPv6 address" },
	{ "{\"exporter_allowlist\": [\"\"]}", -EINVAL,
	  "config.json: exporter_allowlist[0]: \"\" is not an IPv4 or IPv6 address" },
	{ "{\"exporter_allowlist\": [\"10.1.2.3/8\"]}", -EINVAL,
	  "config.json: exporter_allowlist[0]: \"10.1.2.3/8\" has host bits set (did you mean 10.0.0.0/8?)" },
	{ "{\"exporter_allowlist\": [\"2001:db8::1/64\"]}", -EINVAL,
	  "config.json: exporter_allowlist[0]: \"2001:db8::1/64\" has host bits set (did you mean 2001:db8::/64?)" },
};

/* One bad text: refused with @want_err and exactly @want, *out untouched. */
static void check_bad(size_t i, const char *name, const char *text, size_t len, int want_err,
		      const char *want)
{
	struct nfx_config *sentinel = (struct nfx_config *)&bad_cases, *c = sentinel;
	char err[512] = "";
	int rc;

	rc = nfx_config_parse(name, text, len, &c, err, sizeof(err));
	CHECK(rc == want_err, "case %zu: rc %d, expected %d (%s)", i, rc, want_err, err);
	CHECK(c == sentinel, "case %zu: *out was touched", i);
	CHECK(!strcmp(err, want), "case %zu:\n%s\n       got      \"%s\"\n       expected \"%s\"",
	      i, text, err, want);
}

static void test_invalid(void)
{
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++)
		check_bad(i, "config.json", bad_cases[i].text, strlen(bad_cases[i].text),
			  bad_cases[i].err, bad_cases[i].msg);
}

/* A JSON case's message for its YAML twin: the same, with where the value was written. */
static void yaml_message(const struct yaml_emit *e, const char *json_msg, char *buf, size_t len)
{
	const char *rest = json_msg + strlen("config.json: ");
	const char *colon = strstr(rest, ": ");
	char where[160];
	unsigned int line, col;

	snprintf(where, sizeof(where), "%.*s", colon ? (int)(colon - rest) : 0, rest);
	if (yaml_pos(e, where, &line, &col))
		snprintf(buf, len, "config.yaml: %u:%u: %s", line, col, rest);
	else
		snprintf(buf, len, "config.yaml: %s", rest);
}

/* The same cases in YAML: same code, same message, plus the line and column. */
static void test_invalid_yaml(void)
{
	size_t n = 0;

	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *b = &bad_cases[i];
		struct yaml_emit e;
		char want[512];

		/* JSON's own syntax errors have their YAML counterparts in test_yaml_errors */
		if (strstr(b->msg, "JSON") || strstr(b->msg, "empty file") ||
		    yaml_from_json(&e, b->text)) {
			continue;
		}
		n++;
		yaml_message(&e, b->msg, want, sizeof(want));
		check_bad(i, "config.yaml", e.buf, e.len, b->err, want);
		free(e.buf);
	}
	CHECK(n >= 39, "only %zu cases in YAML", n);
}

/* A file cut in the middle of a write: reported with its position, nothing loaded. */
static void test_half_written(void)
{
	char dir[] = "/tmp/nfxcfg.XXXXXX", path[PATH_MAX], err[512] = "";
	struct nfx_config *sentinel = (struct nfx_config *)dir, *c = sentinel;
	size_t len = 0;
	char *text = read_all(example_path, &len);
	int rc;

	CHECK(text && len > 100, "cannot read %s", example_path);
	if (!text || !mkdtemp(dir)) {
		free(text);
		return;
	}
	snprintf(path, sizeof(path), "%s/nfxdp.json", dir);
	CHECK_EQ(write_file(path, text, len / 2), 0);
	rc = nfx_config_load(path, &c, err, sizeof(err));
	CHECK_EQ(rc, -EINVAL);
	CHECK(c == sentinel, "*out touched");
	CHECK(!strncmp(err, path, strlen(path)) &&
	      strstr(err, "unexpected end of file") && strstr(err, "half-written"), "%s", err);

	/* an empty file (truncated by O_TRUNC, not yet written) */
	CHECK_EQ(write_file(path, "", 0), 0);
	rc = nfx_config_load(path, &c, err, sizeof(err));
	CHECK(rc == -EINVAL && c == sentinel && strstr(err, "empty file"), "%d %s", rc, err);

	unlink(path);
	rc = nfx_config_load(path, &c, err, sizeof(err));
	CHECK(rc == -ENOENT && c == sentinel && strstr(err, "cannot read: No such file"),
	      "%d %s", rc, err);
	rc = nfx_config_load(dir, &c, err, sizeof(err));
	CHECK(rc == -EINVAL && c == sentinel && strstr(err, "not a regular file"), "%d %s", rc, err);
	rmdir(dir);
	free(text);
}


/* stderr into a temporary file while a parse logs; -1 when that cannot be set up. */
struct capture {
	char path[32];
	int fd, saved;
};

static int capture_start(struct capture *k)
{
	snprintf(k->path, sizeof(k->path), "/tmp/nfxcfg-log.XXXXXX");
	k->fd = mkstemp(k->path);
	k->saved = dup(2);
	CHECK(k->fd >= 0 && k->saved >= 0, "mkstemp/dup");
	if (k->fd < 0 || k->saved < 0)
		return -1;
	fflush(stderr);
	dup2(k->fd, 2);
	return 0;
}

/* What was logged, into @buf. */
static void capture_stop(struct capture *k, char *buf, size_t len)
{
	ssize_t n;

	fflush(stderr);
	dup2(k->saved, 2);
	close(k->saved);
	n = pread(k->fd, buf, len - 1, 0);
	buf[n > 0 ? n : 0] = '\0';
	close(k->fd);
	unlink(k->path);
}

/* YAML's own errors and bounds, each with its position. */
static const struct bad_case yaml_cases[] = {
	{ "namespace: [a\n", -EINVAL,
	  "config.yaml: 2:1: YAML syntax error: did not find expected ',' or ']' (while parsing a flow sequence at 1:12)" },
	{ "enabled: true\n  namespace: a\n", -EINVAL,
	  "config.yaml: 2:12: YAML syntax error: mapping values are not allowed in this context" },
	{ "namespace: a\nnamespace: b\n", -EINVAL, "config.yaml: 2:1: duplicate key \"namespace\"" },
	{ "namespace: a\n---\nnamespace: b\n", -EINVAL,
	  "config.yaml: 2:1: a second YAML document: one configuration per file" },
	{ "namespace: !foo a\n", -EINVAL, "config.yaml: 1:12: YAML tag !foo is not supported" },
	{ "namespace: !!int abc\n", -EINVAL,
	  "config.yaml: 1:12: \"abc\" does not fit its tag tag:yaml.org,2002:int" },
	{ "namespace: *x\n", -EINVAL, "config.yaml: 1:12: unknown YAML alias *x" },
	{ "? [a]\n: b\n", -EINVAL, "config.yaml: 1:3: a mapping key must be a scalar" },
	{ "\"a\\0b\": 1\n", -EINVAL, "config.yaml: 1:1: a mapping key contains a NUL character" },
	{ "- a\n- b\n", -EINVAL, "config.yaml: expected a YAML mapping at the top, got an array" },
	{ "# only a comment\n", -EINVAL, "config.yaml: no YAML document, expected a mapping" },
	{ "enabled: maybe\n", -EINVAL,
	  "config.yaml: 1:10: enabled: expected true or false, got a string \"maybe\"" },
	{ "aggregator_flush_interval: 1e3\n", -EINVAL,
	  "config.yaml: 1:28: aggregator_flush_interval: expected an integer, got a number with a fraction 1000.0" },
	{ "aggregator_flush_interval:\n", -EINVAL,
	  "config.yaml: 1:1: aggregator_flush_interval: expected an integer, got null null" },
	{ "listeners:\n  - flow_type: ipfix\n    port: '4739'\n", -EINVAL,
	  "config.yaml: 3:11: listeners[0].port: expected an integer port, got a string \"4739\"" },
	{ "namespace: \"a\\0b\"\n", -EINVAL, "config.yaml: 1:12: namespace: contains a NUL character" },
	{ "network_devices: 3\n", -EINVAL,
	  "config.yaml: 1:18: network_devices: expected an object, got an integer" },
	{ "network_devices:\n  namespace: x\n", -EINVAL,
	  "config.yaml: 2:3: network_devices.netflow: missing: this Agent configuration has no NetFlow section" },
	{ "network_devices:\n  netflow:\n    listeners:\n      - flow_type: sflow\n", -EINVAL,
	  "config.yaml: 4:20: listeners[0].flow_type: \"sflow\" is not supported by nfxdp (use netflow5, netflow9, ipfix, sflow5)" },
	{ "network_devices:\n  namespace: \"\"\n  netflow: {}\n", -EINVAL,
	  "config.yaml: 2:14: namespace: must not be empty" },
	/* a listener's Agent "workers" is checked as the top-level key it maps to */
	{ "listeners:\n  - flow_type: ipfix\n    workers: many\n", -EINVAL,
	  "config.yaml: 3:14: workers: expected an integer, got a string \"many\"" },
	{ "listeners:\n  - {flow_type: ipfix, workers: 2}\n  - {flow_type: sflow5, workers: 65}\n",
	  -EINVAL, "config.yaml: 3:34: workers: 65 is out of range (0-64)" },
};

/* A billion laughs: nine aliases of nine aliases of ..., refused as it is read. */
static char *alias_bomb(void)
{
	static const char names[] = "abcdefghij";
	char *buf = calloc(1, 4096);
	size_t used;

	if (!buf)
		return NULL;
	used = (size_t)sprintf(buf, "a: &a [1, 2, 3, 4, 5, 6, 7, 8, 9]\n");
	for (int i = 1; names[i]; i++) {
		used += (size_t)sprintf(buf + used, "%c: &%c [", names[i], names[i]);
		for (int j = 0; j < 9; j++)
			used += (size_t)sprintf(buf + used, "%s*%c", j ? ", " : "", names[i - 1]);
		used += (size_t)sprintf(buf + used, "]\n");
	}
	return buf;
}

/* "k: [[[[...]]]]" nested @depth deep. */
static char *nested(unsigned int depth)
{
	char *buf = calloc(1, 2 * depth + 8);

	if (!buf)
		return NULL;
	strcpy(buf, "k: ");
	memset(buf + 3, '[', depth);
	memset(buf + 3 + depth, ']', depth);
	return buf;
}

/* "k: [{}, {}, ...]" with @n empty mappings: @n + 3 nodes (the root, k, the list). */
static char *flat(unsigned int n)
{
	char *buf = calloc(n + 1, 4);
	size_t used;

	if (!buf)
		return NULL;
	used = (size_t)sprintf(buf, "k: [");
	for (unsigned int i = 0; i < n; i++)
		used += (size_t)sprintf(buf + used, "%s{}", i ? "," : "");
	strcpy(buf + used, "]");
	return buf;
}

/* @n anchored scalars "kI: &aI 1". */
static char *anchors(unsigned int n)
{
	char *buf = calloc(n, 32);
	size_t used = 0;

	for (unsigned int i = 0; buf && i < n; i++)
		used += (size_t)sprintf(buf + used, "k%u: &a%u 1\n", i, i);
	return buf;
}

static void check_refused(const char *what, char *text, int want_err, const char *want_msg)
{
	struct nfx_config *c = NULL;
	char err[512] = "";
	int rc;

	CHECK(text != NULL, "%s: no memory", what);
	if (!text)
		return;
	rc = nfx_config_parse("config.yaml", text, strlen(text), &c, err, sizeof(err));
	CHECK(rc == want_err && !c, "%s: rc %d (%s)", what, rc, err);
	CHECK(strstr(err, want_msg), "%s: %s", what, err);
	nfx_config_free(c);
	free(text);
}

static void test_yaml_errors(void)
{
	for (size_t i = 0; i < sizeof(yaml_cases) / sizeof(yaml_cases[0]); i++)
		check_bad(i, "config.yaml", yaml_cases[i].text, strlen(yaml_cases[i].text),
			  yaml_cases[i].err, yaml_cases[i].msg);
	check_refused("alias bomb", alias_bomb(), -E2BIG,
		      "more than 16384 YAML nodes (an alias counts every node it repeats)");
	check_refused("depth", nested(NFX_YAML_MAX_DEPTH + 1), -E2BIG, "nested more than 64 levels");
	check_refused("anchors", anchors(NFX_YAML_MAX_ANCHORS + 1), -E2BIG, "more than 1024 YAML anchors");
	check_refused("nodes", flat(NFX_YAML_MAX_NODES - 2), -E2BIG, "more than 16384 YAML nodes");
}

/* What YAML writes differently from JSON, and the bounds' other side. */
static void test_yaml_scalars(void)
{
	struct nfx_config *c;
	char *text;

	c = parse_yaml("namespace: 2024\nenabled: off\noutput:\n  mode: 0640\n  gzip: yes\n"
		       "  rotate_size: 0x100000\n  rotate_interval: 0o17\n  path: !!str 123\n"
		       "reverse_dns_enrichment_enabled: True\n");
	if (c) {
		CHECK(!strcmp(c->namespace, "2024"), "namespace %s", c->namespace);
		CHECK_EQ(c->enabled, 0);
		CHECK_EQ(c->output.mode, 0640);
		CHECK_EQ(c->output.gzip, 1);
		CHECK_EQ(c->output.rotate_size, 1048576);
		CHECK_EQ(c->output.rotate_interval, 15);
		CHECK(!strcmp(c->output.path, "123"), "path %s", c->output.path);
		CHECK_EQ(c->rdns_enabled, 1);
		nfx_config_free(c);
	}
	/* anchors and aliases within the bound are followed */
	c = parse_yaml("listeners:\n  - &nf9 {flow_type: netflow9, namespace: x}\n"
		       "  - {flow_type: ipfix, port: 4739}\n  - *nf9\n");
	if (c) {
		CHECK_EQ(c->nlisteners, 3);
		CHECK(c->nlisteners == 3 && c->listeners[2].flow_type == NFX_LISTEN_NETFLOW9 &&
		      !strcmp(c->listeners[2].namespace, "x"), "alias");
		nfx_config_free(c);
	}
	/* one level, one anchor under the bounds */
	text = nested(NFX_YAML_MAX_DEPTH - 1);
	if (text) {
		nfx_config_free(parse_yaml(text));
		free(text);
	}
	text = flat(NFX_YAML_MAX_NODES - 3);
	if (text) {
		nfx_config_free(parse_yaml(text));
		free(text);
	}
	text = anchors(NFX_YAML_MAX_ANCHORS);
	if (text) {
		nfx_config_free(parse_yaml(text));
		free(text);
	}
}

/*
 * A whole datadog.yaml: only network_devices.netflow and
 * network_devices.namespace are read, the Agent's other sections are not
 * even warned about, and its netflow keys nfxdp lacks are named once.
 */
static const char datadog_yaml[] =
	"api_key: 0123456789abcdef\n"
	"site: datadoghq.eu\n"
	"hostname: collector-1\n"
	"tags:\n  - env:prod\n  - team:net\n"
	"logs_enabled: true\n"
	"logs_config:\n  container_collect_all: true\n  processing_rules:\n"
	"    - type: exclude_at_match\n      name: x\n      pattern: \"^DEBUG\"\n"
	"apm_config:\n  enabled: false\n  env: &env prod\n"
	"process_config:\n  process_collection:\n    enabled: true\n"
	"dogstatsd_mapper_profiles:\n  - name: a\n    prefix: \"a.\"\n    env: *env\n"
	"network_devices:\n"
	"  namespace: dc1\n"
	"  autodiscovery:\n    workers: 10\n    configs:\n      - network_address: 10.0.0.0/24\n"
	"  snmp_traps:\n    enabled: false\n"
	"  netflow:\n"
	"    enabled: true\n"
	"    stop_timeout: 5\n"
	"    aggregator_buffer_size: 100\n"
	"    aggregator_flush_interval: 60\n"
	"    prometheus_listener_enabled: false\n"
	"    prometheus_listener_address: localhost:9090\n"
	"    forwarder:\n      use_compression: true\n      batch_wait: 5\n"
	"    reverse_dns_enrichment_enabled: true\n"
	"    listeners:\n"
	"      - flow_type: netflow9\n        port: 2055\n        bind_host: 0.0.0.0\n"
	"      - flow_type: sflow5\n        port: 6343\n        workers: 4\n"
	"        namespace: sflow-ns\n"
	"      - flow_type: ipfix\n        workers: 2\n"
	"    max_exporters: 512\n"
	"    output:\n      path: /var/log/nfxdp/flows.ndjson\n";

static void test_yaml_datadog(void)
{
	char dir[] = "/tmp/nfxcfg.XXXXXX", path[PATH_MAX], err[512] = "", log[4096] = "";
	struct nfx_config *c = NULL, *d = NULL;
	struct capture k;
	int rc;

	if (!mkdtemp(dir)) {
		CHECK(0, "mkdtemp");
		return;
	}
	snprintf(path, sizeof(path), "%s/datadog.yaml", dir);
	CHECK_EQ(write_file(path, datadog_yaml, strlen(datadog_yaml)), 0);
	if (capture_start(&k) == 0) {
		rc = nfx_config_load(path, &c, err, sizeof(err));
		capture_stop(&k, log, sizeof(log));
		CHECK(rc == 0 && c, "%d %s", rc, err);
		CHECK(!strstr(log, "unknown key"), "warned: %s", log);
		CHECK(strstr(log, "Datadog Agent keys accepted and ignored: stop_timeout, "
			     "aggregator_buffer_size, prometheus_listener_enabled, "
			     "prometheus_listener_address, forwarder; "
			     "mapped: listeners[].workers -> workers 4\n"), "%s", log);
		/* once: one line for the whole file */
		CHECK(strstr(log, "accepted and ignored") &&
		      !strstr(strstr(log, "accepted and ignored") + 1, "accepted and ignored"),
		      "%s", log);
	}
	if (c) {
		CHECK(!strcmp(c->namespace, "dc1"), "namespace %s", c->namespace);
		CHECK_EQ(c->nlisteners, 3);
		CHECK(!strcmp(c->listeners[0].namespace, "dc1"), "ns0 %s", c->listeners[0].namespace);
		CHECK(!strcmp(c->listeners[1].namespace, "sflow-ns"), "ns1");
		CHECK_EQ(c->listeners[1].port, 6343);
		CHECK_EQ(c->listeners[2].port, 4739);
		CHECK(c->listeners[0].bind_host && !strcmp(c->listeners[0].bind_host, "0.0.0.0"),
		      "bind_host %s", c->listeners[0].bind_host ? c->listeners[0].bind_host : "none");
		CHECK(!c->listeners[1].bind_host, "no bind_host: the daemon's");
		CHECK_EQ(c->workers, 4);
		CHECK_EQ(c->agg_flush_interval, 60);
		CHECK_EQ(c->agg_flow_context_ttl, 60);
		CHECK_EQ(c->rdns_enabled, 1);
		CHECK_EQ(c->max_exporters, 512);
		CHECK(!strcmp(c->output.path, "/var/log/nfxdp/flows.ndjson"), "%s", c->output.path);
	}
	/* the content decides, not the name: the same text in a file named .json */
	snprintf(path, sizeof(path), "%s/datadog.json", dir);
	CHECK_EQ(write_file(path, datadog_yaml, strlen(datadog_yaml)), 0);
	rc = nfx_config_load(path, &d, err, sizeof(err));
	CHECK(rc == 0 && d && (!c || nfx_config_diff(c, d) == 0), "%d %s", rc, err);
	unlink(path);
	snprintf(path, sizeof(path), "%s/datadog.yaml", dir);
	unlink(path);
	rmdir(dir);
	nfx_config_free(c);
	nfx_config_free(d);
}

/* doc/nfxdp.example.yaml says what doc/nfxdp.example.json says. */
static void test_yaml_example(void)
{
	char ypath[PATH_MAX], err[512] = "";
	struct nfx_config *j = NULL, *y = NULL;
	int rc;

	snprintf(ypath, sizeof(ypath), "%.*s.yaml", (int)(strlen(example_path) - 5), example_path);
	rc = nfx_config_load(example_path, &j, err, sizeof(err));
	CHECK(rc == 0, "%s: %s", example_path, err);
	rc = nfx_config_load(ypath, &y, err, sizeof(err));
	CHECK(rc == 0, "%s: %s", ypath, err);
	CHECK(!j || !y || nfx_config_diff(j, y) == 0, "differ: %#x", nfx_config_diff(j, y));
	nfx_config_free(j);
	nfx_config_free(y);
}

/* Unknown keys warn (on stderr, with where) and the file still loads. */
static void test_unknown_keys(void)
{
	char buf[2048] = "";
	struct nfx_config *c;
	struct capture k;

	if (capture_start(&k))
		return;
	c = parse("{\"flush_intervall\": 3, \"output\": {\"gzipp\": true},"
		  " \"listeners\": [{\"flow_type\": \"ipfix\", \"prot\": 1,"
		  " \"mapping\": [{\"field\": 1, \"destination\": \"b\", \"typ\": \"hex\"}]}]}");
	capture_stop(&k, buf, sizeof(buf));
	CHECK(c != NULL, "not loaded");
	nfx_config_free(c);
	CHECK(strstr(buf, "config.json: flush_intervall: unknown key, ignored"), "%s", buf);
	CHECK(strstr(buf, "config.json: output.gzipp: unknown key, ignored"), "%s", buf);
	CHECK(strstr(buf, "config.json: listeners[0].prot: unknown key, ignored"), "%s", buf);
	CHECK(strstr(buf, "config.json: listeners[0].mapping[0].typ: unknown key, ignored"), "%s", buf);
	/* the YAML twin (parse() runs both) says where each one was written */
	CHECK(strstr(buf, "config.yaml: 1:20: flush_intervall: unknown key, ignored"), "%s", buf);
	CHECK(strstr(buf, "config.yaml: 3:12: output.gzipp: unknown key, ignored"), "%s", buf);
	CHECK(strstr(buf, "config.yaml: 6:13: listeners[0].prot: unknown key, ignored"), "%s", buf);
	CHECK(strstr(buf, "config.yaml: 10:16: listeners[0].mapping[0].typ: unknown key, ignored"),
	      "%s", buf);
}

static void test_ports(void)
{
	struct nfx_port_want w[8];
	struct nfx_config *c;
	int n;

	/* same port, distinct versions: merged; different ports: sorted */
	c = parse("{\"listeners\": [{\"flow_type\": \"ipfix\", \"port\": 9995},"
		  " {\"flow_type\": \"netflow5\", \"port\": 2056},"
		  " {\"flow_type\": \"netflow9\", \"port\": 2056, \"namespace\": \"v9\"},"
		  " {\"flow_type\": \"netflow5\", \"port\": 9996}]}");
	if (!c)
		return;
	n = nfx_config_ports(c, w, 8);
	CHECK_EQ(n, 3);
	CHECK(w[0].port == 2056 && w[0].versions == NFX_VERS_ALL, "2056 %x", w[0].versions);
	CHECK(w[1].port == 9995 && w[1].versions == NFX_VERS_MODERN, "9995");
	CHECK(w[2].port == 9996 && w[2].versions == NFX_VERS_LEGACY, "9996");
	CHECK_EQ(nfx_config_ports(c, w, 2), -E2BIG);
	/* the version picks the listener on a shared port */
	CHECK(nfx_config_listener(c, 2056, 5) == &c->listeners[1], "v5 on 2056");
	CHECK(nfx_config_listener(c, 2056, 9) == &c->listeners[2], "v9 on 2056");
	CHECK(nfx_config_listener(c, 2056, 10) == &c->listeners[2], "ipfix on 2056");
	CHECK(nfx_config_listener(c, 9995, 5) == NULL, "v5 on an ipfix port");
	CHECK(nfx_config_listener(c, 2055, 5) == NULL, "no listener");
	nfx_config_free(c);

	/* sflow5: port 6343 by default, sFlow's own version bit */
	c = parse("{\"listeners\": [{\"flow_type\": \"sflow5\", \"namespace\": \"sw\"},"
		  " {\"flow_type\": \"netflow5\"}]}");
	if (c) {
		n = nfx_config_ports(c, w, 8);
		CHECK(n == 2 && w[1].port == 6343 && w[1].versions == NFX_VERS_SFLOW, "sflow5 port");
		CHECK(nfx_config_listener(c, 6343, NFX_SFLOW_VERSION) == &c->listeners[0], "sFlow");
		CHECK(nfx_config_listener(c, 6343, 5) == NULL, "NetFlow v5 on the sFlow port");
		nfx_config_free(c);
	}

	/* enabled: false empties the port map */
	c = parse("{\"enabled\": false}");
	if (c) {
		CHECK_EQ(nfx_config_ports(c, w, 8), 0);
		CHECK(nfx_config_listener(c, 2055, 5) == NULL, "disabled");
		nfx_config_free(c);
	}
	/* overlapping but identical listeners: a duplicate, merged, not an error */
	c = parse("{\"listeners\": [{\"flow_type\": \"netflow9\"}, {\"flow_type\": \"ipfix\", \"port\": 2055}]}");
	if (c) {
		CHECK_EQ(nfx_config_ports(c, w, 8), 1);
		CHECK(w[0].port == 2055 && w[0].versions == NFX_VERS_MODERN, "merged");
		nfx_config_free(c);
	}
}

/* ---- diff ---- */

static const char base_json[] =
	"{\"listeners\": [{\"flow_type\": \"netflow9\", \"port\": 2055,"
	" \"mapping\": [{\"field\": 95, \"destination\": \"app\"}]}],"
	" \"exporter_allowlist\": [\"10.0.0.0/8\", \"192.0.2.1\"]}";

struct diff_case {
	const char *text;
	unsigned int bits;
};

static const struct diff_case diff_cases[] = {
	/* the same set written differently: no change */
	{ "{\"namespace\": \"default\", \"listeners\": [{\"flow_type\": \"netflow9\","
	  " \"mapping\": [{\"field\": 95, \"destination\": \"app\", \"type\": \"hex\"}]}],"
	  " \"exporter_allowlist\": [\"192.0.2.1/32\", \"10.0.0.0/8\", \"10.0.0.0/8\"]}", 0 },
	{ "{\"listeners\": [{\"flow_type\": \"netflow9\", \"port\": 2056,"
	  " \"mapping\": [{\"field\": 95, \"destination\": \"app\"}]}],"
	  " \"exporter_allowlist\": [\"10.0.0.0/8\", \"192.0.2.1\"]}", NFX_CFG_CH_PORTS },
	{ "{\"listeners\": [{\"flow_type\": \"netflow5\", \"port\": 2055,"
	  " \"mapping\": [{\"field\": 95, \"destination\": \"app\"}]}],"
	  " \"exporter_allowlist\": [\"10.0.0.0/8\", \"192.0.2.1\"]}", NFX_CFG_CH_PORTS },
	{ "{\"enabled\": false, \"listeners\": [{\"flow_type\": \"netflow9\", \"port\": 2055,"
	  " \"mapping\": [{\"field\": 95, \"destination\": \"app\"}]}],"
	  " \"exporter_allowlist\": [\"10.0.0.0/8\", \"192.0.2.1\"]}", NFX_CFG_CH_PORTS },
	{ "{\"listeners\": [{\"flow_type\": \"netflow9\", \"port\": 2055,"
	  " \"mapping\": [{\"field\": 95, \"destination\": \"app\", \"type\": \"string\"}]}],"
	  " \"exporter_allowlist\": [\"10.0.0.0/8\", \"192.0.2.1\"]}", NFX_CFG_CH_MAPPING },
	{ "{\"namespace\": \"x\", \"listeners\": [{\"flow_type\": \"netflow9\", \"port\": 2055,"
	  " \"mapping\": [{\"field\": 95, \"destination\": \"app\"}]}],"
	  " \"exporter_allowlist\": [\"10.0.0.0/8\", \"192.0.2.1\"]}", NFX_CFG_CH_NAMESPACE },
	{ "{\"listeners\": [{\"flow_type\": \"netflow9\", \"port\": 2055,"
	  " \"mapping\": [{\"field\": 95, \"destination\": \"app\"}]}],"
	  " \"exporter_allowlist\": [\"10.1.0.0/16\", \"192.0.2.1\"]}", NFX_CFG_CH_ALLOW },
	{ "{\"listeners\": [{\"flow_type\": \"netflow9\", \"port\": 2055,"
	  " \"mapping\": [{\"field\": 95, \"destination\": \"app\"}]}]}", NFX_CFG_CH_ALLOW },
	/* the socket moves to another address */
	{ "{\"listeners\": [{\"flow_type\": \"netflow9\", \"port\": 2055, \"bind_host\": \"::1\","
	  " \"mapping\": [{\"field\": 95, \"destination\": \"app\"}]}],"
	  " \"exporter_allowlist\": [\"10.0.0.0/8\", \"192.0.2.1\"]}", NFX_CFG_CH_PORTS },
};

/*
 * The command line as overrides: applied on top of the file key by key,
 * validated like the file's values, the file's other keys kept; without a
 * file, on top of the defaults.
 */
static void test_overrides(void)
{
	char path[] = "/tmp/nfx-cfg-ov.XXXXXX", err[256];
	const char *file = "{ \"namespace\": \"dc1\", \"aggregator_flush_interval\": 60,"
			   " \"output\": { \"path\": \"/tmp/a\", \"gzip\": false } }";
	struct nfx_cfg_overrides ov = { .n = 0 };
	struct nfx_port_want want[8];
	struct nfx_config *c = NULL;
	int fd = mkstemp(path), n;

	CHECK(fd >= 0, "mkstemp");
	if (fd < 0)
		return;
	close(fd);
	CHECK_EQ(write_file(path, file, strlen(file)), 0);
	CHECK_EQ(nfx_cfg_override(&ov, "output.path", "/tmp/b"), 0);
	CHECK_EQ(nfx_cfg_override(&ov, "output.gzip", "true"), 0);
	CHECK_EQ(nfx_cfg_override(&ov, "workers", "3"), 0);
	CHECK_EQ(nfx_cfg_override(&ov, "reverse_dns_server", "127.0.0.1:53"), 0);
	CHECK_EQ(nfx_cfg_override(&ov, "listeners",
				  "[{\"flow_type\":\"netflow5\",\"port\":9995},"
				  "{\"flow_type\":\"netflow9\",\"port\":9995}]"), 0);
	CHECK_EQ(nfx_cfg_override(&ov, "output.path", "/tmp/c"), 0);	/* the last one wins */
	CHECK_EQ(ov.n, 5);
	CHECK(nfx_config_build(path, &ov, &c, err, sizeof(err)) == 0 && c, "build: %s", err);
	if (c) {
		CHECK(!strcmp(c->output.path, "/tmp/c"), "path %s", c->output.path);
		CHECK(c->output.gzip, "gzip not overridden");
		CHECK_EQ(c->workers, 3);
		CHECK(!strcmp(c->rdns_server, "127.0.0.1:53"), "server %s", c->rdns_server);
		CHECK(!strcmp(c->namespace, "dc1"), "file's namespace lost: %s", c->namespace);
		CHECK_EQ(c->agg_flush_interval, 60);
		n = nfx_config_ports(c, want, 8);
		CHECK(n == 1 && want[0].port == 9995 && want[0].versions == NFX_VERS_ALL,
		      "ports: %d, %u/%x", n, n > 0 ? want[0].port : 0, n > 0 ? want[0].versions : 0);
		CHECK(!strcmp(c->listeners[0].namespace, "dc1"), "listener namespace %s",
		      c->listeners[0].namespace);
		nfx_config_free(c);
		c = NULL;
	}
	/* no file: the defaults with the overrides on top */
	CHECK(nfx_config_build(NULL, &ov, &c, err, sizeof(err)) == 0 && c, "no file: %s", err);
	if (c) {
		CHECK(!strcmp(c->output.path, "/tmp/c") && !strcmp(c->namespace, "default"),
		      "no file: %s %s", c->output.path, c->namespace);
		CHECK_EQ(c->agg_flush_interval, 300);
		nfx_config_free(c);
		c = NULL;
	}
	/* checked like the file's values, and reported with the key */
	ov.n = 0;
	nfx_cfg_override(&ov, "output.rotate_interval", "99999999");
	CHECK(nfx_config_build(NULL, &ov, &c, err, sizeof(err)) == -EINVAL && !c &&
	      strstr(err, "rotate_interval"), "out of range accepted: %s", err);
	ov.n = 0;
	nfx_cfg_override(&ov, "workers", "many");
	CHECK(nfx_config_build(NULL, &ov, &c, err, sizeof(err)) == -EINVAL && !c &&
	      strstr(err, "workers") && strstr(err, "many"), "not a number accepted: %s", err);
	ov.n = 0;
	nfx_cfg_override(&ov, "output.no_such_key", "1");
	CHECK(nfx_config_build(NULL, &ov, &c, err, sizeof(err)) == -EINVAL && !c &&
	      strstr(err, "no such configuration key"), "unknown key accepted: %s", err);
	ov.n = 0;
	for (int i = 0; i < NFX_CFG_MAX_OVERRIDES; i++)
		nfx_cfg_override(&ov, i % 2 ? "workers" : "namespace", "1");
	CHECK_EQ(ov.n, 2);
	unlink(path);
}

/*
 * Overrides on a datadog.yaml: they land in its netflow section, win over a
 * listener's Agent "workers", and a bad one is reported without a line (it
 * was not written in the file) while the file's own values keep theirs.
 */
static void test_overrides_yaml(void)
{
	char path[] = "/tmp/nfx-cfg-ov.XXXXXX", err[256];
	const char *file = "api_key: x\nnetwork_devices:\n  namespace: dc1\n  netflow:\n"
			   "    listeners:\n      - {flow_type: ipfix, workers: 4}\n"
			   "    output: {path: /tmp/a, gzip: false}\n";
	struct nfx_cfg_overrides ov = { .n = 0 };
	struct nfx_config *c = NULL;
	int fd = mkstemp(path);

	CHECK(fd >= 0, "mkstemp");
	if (fd < 0)
		return;
	close(fd);
	CHECK_EQ(write_file(path, file, strlen(file)), 0);
	nfx_cfg_override(&ov, "output.path", "/tmp/b");
	nfx_cfg_override(&ov, "workers", "2");
	nfx_cfg_override(&ov, "namespace", "lab");
	CHECK(nfx_config_build(path, &ov, &c, err, sizeof(err)) == 0 && c, "build: %s", err);
	if (c) {
		CHECK(!strcmp(c->output.path, "/tmp/b"), "path %s", c->output.path);
		CHECK_EQ(c->workers, 2);
		CHECK(!strcmp(c->namespace, "lab") && !strcmp(c->listeners[0].namespace, "lab"),
		      "namespace %s", c->namespace);
		nfx_config_free(c);
		c = NULL;
	}
	ov.n = 0;
	nfx_cfg_override(&ov, "output.path", "");
	CHECK(nfx_config_build(path, &ov, &c, err, sizeof(err)) == -EINVAL && !c, "%s", err);
	CHECK(strstr(err, ": output.path: must not be empty") && !strstr(err, ": 7:"), "%s", err);
	ov.n = 0;
	nfx_cfg_override(&ov, "output.gzip", "true");
	nfx_cfg_override(&ov, "output.rotate_size", "-1");
	CHECK(nfx_config_build(path, &ov, &c, err, sizeof(err)) == -EINVAL && !c, "%s", err);
	CHECK(strstr(err, ": output.rotate_size: -1 is out of range") && !strstr(err, ": 7:"),
	      "%s", err);
	unlink(path);
}

/* "sampling_rates": longest prefix first, checked, a change is a decoder change. */
static void test_sampling_rates(void)
{
	struct nfx_config *c = parse("{\"sampling_rates\": [{\"exporter\": \"10.0.0.0/8\", "
				     "\"rate\": 100}, {\"exporter\": \"10.1.2.3\", \"rate\": 512, "
				     "\"override\": true}, {\"exporter\": \"2001:db8::/32\", "
				     "\"rate\": 8}], \"sampling_renormalize\": true}");
	struct nfx_config *d = parse("{\"sampling_rates\": [{\"exporter\": \"10.0.0.0/8\", "
				     "\"rate\": 100}], \"sampling_renormalize\": true}");
	struct nfx_config *e = NULL;
	char err[256];
	struct nfx_addr a;

	if (!c || !d)
		return;
	CHECK_EQ(c->nsampling, 3);
	CHECK(c->sampling_renormalize, "renormalize");
	CHECK_EQ(c->sampling[0].exporter.prefixlen, 128);	/* the host first */
	CHECK_EQ(c->sampling[0].rate, 512);
	CHECK_EQ(c->sampling[0].override, 1);
	CHECK_EQ(c->sampling[1].rate, 100);	/* /8 is /104 in the 16-byte form */
	CHECK_EQ(c->sampling[2].rate, 8);
	nfx_addr_parse(&a, "10.1.2.3");
	CHECK_EQ(nfx_policy_rule(&(struct nfx_dec_policy){ .rules = c->sampling,
			.nrules = (unsigned int)c->nsampling }, &a)->rate, 512);
	nfx_addr_parse(&a, "10.9.9.9");
	CHECK_EQ(nfx_policy_rule(&(struct nfx_dec_policy){ .rules = c->sampling,
			.nrules = (unsigned int)c->nsampling }, &a)->rate, 100);
	CHECK_EQ(nfx_config_diff(c, d), NFX_CFG_CH_DECODE);
	CHECK_EQ(nfx_config_diff(c, c), 0);
	/* refused: no rate, a rate of 0, a duplicate prefix */
	for (int i = 0; i < 3; i++) {
		static const char *const bad[] = {
			"{\"sampling_rates\": [{\"exporter\": \"10.0.0.1\"}]}",
			"{\"sampling_rates\": [{\"exporter\": \"10.0.0.1\", \"rate\": 0}]}",
			"{\"sampling_rates\": [{\"exporter\": \"10.0.0.1\", \"rate\": 2}, "
			"{\"exporter\": \"10.0.0.1/32\", \"rate\": 3}]}",
		};

		CHECK(nfx_config_parse("c.json", bad[i], strlen(bad[i]), &e, err, sizeof(err)) ==
		      -EINVAL && !e, "case %d accepted: %s", i, err);
	}
	CHECK(strstr(err, "twice") != NULL, "duplicate: %s", err);
	nfx_config_free(c);
	nfx_config_free(d);
}

static void test_diff(void)
{
	static const struct { const char *key; unsigned int bits; } scalar[] = {
		{ "\"aggregator_flush_interval\": 60", NFX_CFG_CH_AGG },
		{ "\"aggregator_port_rollup_disabled\": true", NFX_CFG_CH_AGG },
		/* the aggregators are rebuilt with them, and checked against the bound */
		{ "\"aggregator_max_contexts\": 4096", NFX_CFG_CH_AGG },
		{ "\"aggregator_max_memory\": 1073741824", NFX_CFG_CH_AGG },
		{ "\"template_ttl\": 60", NFX_CFG_CH_TEMPLATES },
		{ "\"output\": {\"path\": \"/tmp/x\"}", NFX_CFG_CH_OUTPUT },
		{ "\"output\": {\"gzip\": true}", NFX_CFG_CH_OUTPUT },
		{ "\"output\": {\"raw\": true}", NFX_CFG_CH_RAW | NFX_CFG_CH_RESTART },
		{ "\"max_exporters\": 10", NFX_CFG_CH_LIMITS | NFX_CFG_CH_RESTART },
		{ "\"enabled\": false", NFX_CFG_CH_PORTS },
		{ "\"biflow_reverse_records\": true", NFX_CFG_CH_DECODE },
		{ "\"sampling_renormalize\": true", NFX_CFG_CH_DECODE },
		{ "\"exporter_address_from_export\": true", NFX_CFG_CH_DECODE },
		{ "\"exporter_allowlist\": [\"::1\"]", NFX_CFG_CH_ALLOW },
	};
	struct nfx_config *base = parse(base_json), *d = nfx_config_default();
	char buf[128];

	for (size_t i = 0; base && i < sizeof(diff_cases) / sizeof(diff_cases[0]); i++) {
		struct nfx_config *c = parse(diff_cases[i].text);

		if (!c)
			continue;
		CHECK(nfx_config_diff(base, c) == diff_cases[i].bits, "case %zu: 0x%x, expected 0x%x",
		      i, nfx_config_diff(base, c), diff_cases[i].bits);
		CHECK_EQ(nfx_config_diff(c, base), diff_cases[i].bits);
		nfx_config_free(c);
	}
	for (size_t i = 0; d && i < sizeof(scalar) / sizeof(scalar[0]); i++) {
		struct nfx_config *c;
		char text[256];

		snprintf(text, sizeof(text), "{%s}", scalar[i].key);
		c = parse(text);
		if (!c)
			continue;
		CHECK(nfx_config_diff(d, c) == scalar[i].bits, "%s: 0x%x, expected 0x%x", text,
		      nfx_config_diff(d, c), scalar[i].bits);
		nfx_config_free(c);
	}
	CHECK(!strcmp(nfx_config_diff_str(0, buf, sizeof(buf)), "none"), "%s", buf);
	CHECK(!strcmp(nfx_config_diff_str(NFX_CFG_CH_PORTS | NFX_CFG_CH_ALLOW, buf, sizeof(buf)),
		      "ports,allow-list"), "%s", buf);
	CHECK(!strcmp(nfx_config_diff_str(NFX_CFG_CH_LIMITS | NFX_CFG_CH_RESTART, buf, sizeof(buf)),
		      "limits,restart-needed"), "%s", buf);
	nfx_config_free(base);
	nfx_config_free(d);
}

/* ---- reconcile on real maps ---- */

static int maps_create(struct nfx_reconcile_maps *m)
{
	LIBBPF_OPTS(bpf_map_create_opts, lpm, .map_flags = BPF_F_NO_PREALLOC);

	m->ports_fd = bpf_map_create(BPF_MAP_TYPE_HASH, "nfx_ports", sizeof(__u16),
				     sizeof(struct nfx_port), NFX_MAX_PORTS, NULL);
	m->allow_fd = bpf_map_create(BPF_MAP_TYPE_LPM_TRIE, "nfx_allow",
				     sizeof(struct nfx_lpm_key), sizeof(__u8), NFX_MAX_ALLOW, &lpm);
	m->cfg_fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "nfx_cfg", sizeof(__u32),
				   sizeof(struct nfx_cfg), 1, NULL);
	if (m->ports_fd < 0 || m->allow_fd < 0 || m->cfg_fd < 0)
		return -errno;
	return 0;
}

static void maps_close(struct nfx_reconcile_maps *m)
{
	if (m->ports_fd >= 0)
		close(m->ports_fd);
	if (m->allow_fd >= 0)
		close(m->allow_fd);
	if (m->cfg_fd >= 0)
		close(m->cfg_fd);
}

/* "2055=ALL 4739=MODERN"-like dump of the port map, sorted. */
static const char *ports_dump(int fd, char *buf, size_t len)
{
	__u16 keys[NFX_MAX_PORTS], key, *prev = NULL;
	size_t n = 0, used = 0;

	while (n < NFX_MAX_PORTS && !bpf_map_get_next_key(fd, prev, &key)) {
		keys[n] = key;
		prev = &keys[n++];
	}
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && keys[j - 1] > keys[j]; j--) {
			__u16 t = keys[j];

			keys[j] = keys[j - 1];
			keys[j - 1] = t;
		}
	buf[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		struct nfx_port v = { 0 };

		bpf_map_lookup_elem(fd, &keys[i], &v);
		used += (size_t)snprintf(buf + used, len - used, "%s%u=%s", i ? " " : "", keys[i],
					 v.versions == NFX_VERS_ALL ? "all" :
					 v.versions == NFX_VERS_LEGACY ? "legacy" :
					 v.versions == NFX_VERS_MODERN ? "modern" : "?");
	}
	return buf;
}

/* The trie's prefixes as text, sorted as nfx_allow sets are. */
static const char *allow_dump(int fd, char *buf, size_t len)
{
	struct nfx_prefix a[64];
	struct nfx_lpm_key key, prev;
	size_t n = 0, used = 0;
	bool first = true;

	while (n < 64 && !bpf_map_get_next_key(fd, first ? NULL : &prev, &key)) {
		a[n].prefixlen = (uint8_t)key.prefixlen;
		memcpy(a[n++].addr.b, key.addr, 16);
		prev = key;
		first = false;
	}
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && nfx_allow_cmp(&a[j - 1], &a[j]) > 0; j--) {
			struct nfx_prefix t = a[j];

			a[j] = a[j - 1];
			a[j - 1] = t;
		}
	buf[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		char s[64];

		used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? " " : "",
					 nfx_allow_str(&a[i], s, sizeof(s)));
	}
	return buf;
}

static __u32 allow_enabled(int fd)
{
	struct nfx_cfg cfg = { 0 };
	__u32 zero = 0;

	bpf_map_lookup_elem(fd, &zero, &cfg);
	return cfg.allow_enabled;
}

/* Whether the XDP program would find @addr (v4 text) in the trie. */
static bool allow_match(int fd, const char *addr)
{
	struct nfx_lpm_key k = { .prefixlen = 128 };
	struct nfx_addr a;
	__u8 v;

	nfx_addr_parse(&a, addr);
	memcpy(k.addr, a.b, 16);
	return !bpf_map_lookup_elem(fd, &k, &v);
}

/* Parse @text, reconcile against *@running, make it the running one. */
static int apply(const char *text, struct nfx_config **running, const struct nfx_reconcile_maps *m)
{
	struct nfx_config *c = NULL;
	char err[256];
	int rc = nfx_config_parse("config.json", text, strlen(text), &c, err, sizeof(err));

	CHECK(rc == 0, "%s", err);
	if (rc)
		return rc;
	rc = nfx_reconcile(c, *running, m);
	nfx_config_free(*running);
	*running = c;
	return rc;
}

#define L_2055 "{\"flow_type\": \"netflow5\", \"port\": 2055}, {\"flow_type\": \"netflow9\", \"port\": 2055}"
#define L_2056 "{\"flow_type\": \"netflow5\", \"port\": 2056}, {\"flow_type\": \"netflow9\", \"port\": 2056}"
#define L_4739 "{\"flow_type\": \"ipfix\"}"

static void test_reconcile(void)
{
	struct nfx_reconcile_maps m;
	struct nfx_config *run = NULL;
	char buf[512];
	__u16 stray = 9999;
	struct nfx_port sv = { .versions = NFX_VERS_ALL };
	struct nfx_lpm_key sk = { .prefixlen = 128, .addr = { [10] = 0xff, [11] = 0xff, 1, 2, 3, 4 } };
	__u8 one = 1;
	int rc = maps_create(&m);

	CHECK(rc == 0, "bpf_map_create: %s", strerror(-rc));
	if (rc)
		goto out;
	/* what an earlier daemon may have left: reconcile diffs the maps, not configs */
	bpf_map_update_elem(m.ports_fd, &stray, &sv, BPF_ANY);
	bpf_map_update_elem(m.allow_fd, &sk, &one, BPF_ANY);

	CHECK_EQ(apply("{\"listeners\": [" L_2055 ", " L_4739 "]}", &run, &m), 0);
	CHECK(!strcmp(ports_dump(m.ports_fd, buf, sizeof(buf)), "2055=all 4739=modern"), "%s", buf);
	CHECK(!strcmp(allow_dump(m.allow_fd, buf, sizeof(buf)), ""), "%s", buf);
	CHECK_EQ(allow_enabled(m.cfg_fd), 0);

	/* move a listener */
	CHECK_EQ(apply("{\"listeners\": [" L_2056 ", " L_4739 "]}", &run, &m), 0);
	CHECK(!strcmp(ports_dump(m.ports_fd, buf, sizeof(buf)), "2056=all 4739=modern"), "%s", buf);
	/* change the versions of a kept port */
	CHECK_EQ(apply("{\"listeners\": [{\"flow_type\": \"netflow5\", \"port\": 2056}, " L_4739 "]}",
		       &run, &m), 0);
	CHECK(!strcmp(ports_dump(m.ports_fd, buf, sizeof(buf)), "2056=legacy 4739=modern"), "%s", buf);

	/* toggle enabled */
	CHECK_EQ(apply("{\"enabled\": false, \"listeners\": [" L_2056 ", " L_4739 "]}", &run, &m), 0);
	CHECK(!strcmp(ports_dump(m.ports_fd, buf, sizeof(buf)), ""), "%s", buf);
	CHECK_EQ(apply("{\"enabled\": true, \"listeners\": [" L_2056 ", " L_4739 "]}", &run, &m), 0);
	CHECK(!strcmp(ports_dump(m.ports_fd, buf, sizeof(buf)), "2056=all 4739=modern"), "%s", buf);

	/* add, then narrow, then widen to IPv6, then empty the allow-list */
	CHECK_EQ(apply("{\"exporter_allowlist\": [\"10.0.0.0/8\"]}", &run, &m), 0);
	CHECK(!strcmp(allow_dump(m.allow_fd, buf, sizeof(buf)), "10.0.0.0/8"), "%s", buf);
	CHECK_EQ(allow_enabled(m.cfg_fd), 1);
	CHECK(allow_match(m.allow_fd, "10.200.0.1"), "10.200.0.1 allowed");
	CHECK(!allow_match(m.allow_fd, "11.0.0.1"), "11.0.0.1 not allowed");
	CHECK(!strcmp(ports_dump(m.ports_fd, buf, sizeof(buf)), "2055=all 4739=modern"), "%s", buf);

	CHECK_EQ(apply("{\"exporter_allowlist\": [\"10.1.0.0/16\", \"192.0.2.7\"]}", &run, &m), 0);
	CHECK(!strcmp(allow_dump(m.allow_fd, buf, sizeof(buf)), "10.1.0.0/16 192.0.2.7/32"), "%s", buf);
	CHECK_EQ(allow_enabled(m.cfg_fd), 1);
	CHECK(allow_match(m.allow_fd, "10.1.9.9"), "10.1.9.9 allowed");
	CHECK(!allow_match(m.allow_fd, "10.200.0.1"), "10.200.0.1 now excluded");

	CHECK_EQ(apply("{\"exporter_allowlist\": [\"10.1.0.0/16\", \"2001:db8::/32\"]}", &run, &m), 0);
	CHECK(!strcmp(allow_dump(m.allow_fd, buf, sizeof(buf)), "10.1.0.0/16 2001:db8::/32"), "%s", buf);

	CHECK_EQ(apply("{}", &run, &m), 0);
	CHECK(!strcmp(allow_dump(m.allow_fd, buf, sizeof(buf)), ""), "%s", buf);
	CHECK_EQ(allow_enabled(m.cfg_fd), 0);

	/* no allow map (adopted older program): ports still reconciled */
	m.allow_fd = -m.allow_fd - 1;
	CHECK_EQ(apply("{\"listeners\": [" L_4739 "], \"exporter_allowlist\": [\"10.0.0.0/8\"]}",
		       &run, &m), 0);
	m.allow_fd = -m.allow_fd - 1;
	CHECK(!strcmp(ports_dump(m.ports_fd, buf, sizeof(buf)), "4739=modern"), "%s", buf);
	CHECK(!strcmp(allow_dump(m.allow_fd, buf, sizeof(buf)), ""), "%s", buf);
out:
	nfx_config_free(run);
	maps_close(&m);
}

/*
 * While configurations alternate, a second thread plays the XDP program:
 * a port kept by both must never be missing, an exporter allowed by both
 * must never be refused, and "allow-list on" must never meet an empty trie.
 */
struct probe {
	const struct nfx_reconcile_maps *m;
	atomic_int stop;
	atomic_int phase;		/* 1: the list never empties */
	atomic_uint gen;		/* reconciles completed */
	atomic_ulong loops;
	unsigned long port_miss, allow_miss, empty_on;
};

static void *probe_run(void *arg)
{
	struct probe *p = arg;
	__u16 port = 4739;
	struct nfx_port v;

	while (!atomic_load(&p->stop)) {
		unsigned int g0 = atomic_load(&p->gen);
		__u32 on1 = allow_enabled(p->m->cfg_fd);
		bool hit = allow_match(p->m->allow_fd, "10.1.2.3");
		__u32 on2 = allow_enabled(p->m->cfg_fd);

		if (bpf_map_lookup_elem(p->m->ports_fd, &port, &v))
			p->port_miss++;
		if (atomic_load(&p->phase) == 1 && !hit)
			p->allow_miss++;
		/* on, miss, on within one reconcile: the trie was empty while enforced */
		if (on1 && on2 && !hit && atomic_load(&p->gen) == g0)
			p->empty_on++;
		atomic_fetch_add(&p->loops, 1);
	}
	return NULL;
}

/* Marks a reconcile done and lets the probe look at the result (2 cores, busy CI). */
static void probe_step(struct probe *p)
{
	unsigned long seen = atomic_load(&p->loops);

	atomic_fetch_add(&p->gen, 1);
	for (int i = 0; i < 1000 && atomic_load(&p->loops) == seen; i++)
		sched_yield();
}

static void test_reconcile_no_gap(void)
{
	static const char *const cfgs[] = {
		/* 10.1.2.3 allowed by both of these, 4739 in both */
		"{\"listeners\": [" L_2055 ", " L_4739 "], \"exporter_allowlist\": [\"10.0.0.0/8\"]}",
		"{\"listeners\": [" L_2056 ", " L_4739 "], \"exporter_allowlist\": [\"10.1.0.0/16\", \"192.0.2.1\"]}",
		/* then emptied, then back */
		"{\"listeners\": [" L_4739 "]}",
	};
	struct nfx_reconcile_maps m;
	struct nfx_config *run = NULL;
	struct probe p = { .m = &m };
	pthread_t th;
	int rc = maps_create(&m), level = nfx_log_level;

	CHECK(rc == 0, "bpf_map_create: %s", strerror(-rc));
	if (rc)
		goto out;
	nfx_log_level = NFX_LOG_WARN;	/* a thousand reconciles: no need to read them */
	apply(cfgs[0], &run, &m);
	atomic_store(&p.phase, 1);
	pthread_create(&th, NULL, probe_run, &p);
	for (int i = 0; i < 400; i++) {
		CHECK_EQ(apply(cfgs[i % 2], &run, &m), 0);
		probe_step(&p);
	}
	atomic_store(&p.phase, 2);
	for (int i = 0; i < 400; i++) {
		CHECK_EQ(apply(cfgs[1 + i % 2], &run, &m), 0);
		probe_step(&p);
	}
	atomic_store(&p.stop, 1);
	pthread_join(th, NULL);
	nfx_log_level = level;
	CHECK(atomic_load(&p.loops) > 100, "the probe ran only %lu times",
	      atomic_load(&p.loops));
	CHECK_EQ(p.port_miss, 0);
	CHECK_EQ(p.allow_miss, 0);
	CHECK_EQ(p.empty_on, 0);
	printf("     probe: %lu lookups during 800 reconciles\n", atomic_load(&p.loops));
out:
	nfx_config_free(run);
	maps_close(&m);
}

/* ---- watching ---- */

static bool readable(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	return poll(&pfd, 1, 0) == 1;
}

static void test_watch(void)
{
	char dir[] = "/tmp/nfxwatch.XXXXXX", path[PATH_MAX], tmp[PATH_MAX], other[PATH_MAX];
	char data1[128], data2[128], link[128], lpath[128];
	struct nfx_config *good = NULL, *next = NULL;
	struct nfx_config_watch *w;
	char err[512];

	if (!mkdtemp(dir)) {
		CHECK(0, "mkdtemp: %s", strerror(errno));
		return;
	}
	snprintf(path, sizeof(path), "%s/nfxdp.json", dir);
	snprintf(tmp, sizeof(tmp), "%s/.nfxdp.json.swp", dir);
	snprintf(other, sizeof(other), "%s/unrelated.txt", dir);
	write_file(path, "{}", 2);
	w = nfx_config_watch_new(path);
	CHECK(w != NULL, "watch_new: %s", strerror(errno));
	if (!w)
		goto out;
	CHECK_EQ(nfx_config_watch_changed(w), 0);
	CHECK_EQ(nfx_config_load(path, &good, err, sizeof(err)), 0);

	/* an editor: write a temp file, rename it over */
	write_file(tmp, "{\"namespace\": \"a\"}", 18);
	CHECK_EQ(rename(tmp, path), 0);
	CHECK(readable(nfx_config_watch_fd(w)), "fd not readable after rename");
	CHECK_EQ(nfx_config_watch_changed(w), 1);
	CHECK_EQ(nfx_config_watch_changed(w), 0);
	CHECK(!readable(nfx_config_watch_fd(w)), "fd still readable after draining");

	/* a half-written file: reported, the last good configuration stays */
	write_file(path, "{\"namespace\": \"b\", \"listen", 26);
	CHECK_EQ(nfx_config_watch_changed(w), 1);
	CHECK(nfx_config_load(path, &next, err, sizeof(err)) == -EINVAL && !next, "loaded");
	CHECK(good && !strcmp(good->namespace, "default"), "last good lost");

	/* in place, completed */
	write_file(path, "{\"namespace\": \"b\"}", 18);
	CHECK_EQ(nfx_config_watch_changed(w), 1);
	CHECK(nfx_config_load(path, &next, err, sizeof(err)) == 0 && next &&
	      !strcmp(next->namespace, "b"), "%s", err);

	/* other files in the directory do not count */
	write_file(other, "x", 1);
	CHECK_EQ(nfx_config_watch_changed(w), 0);
	unlink(other);
	CHECK_EQ(nfx_config_watch_changed(w), 0);
	nfx_config_watch_free(w);

	/* a Kubernetes ConfigMap: nfxdp.json -> ..data/nfxdp.json, ..data swapped */
	snprintf(data1, sizeof(data1), "%s/..2024_1", dir);
	snprintf(data2, sizeof(data2), "%s/..2024_2", dir);
	snprintf(link, sizeof(link), "%s/..data", dir);
	snprintf(lpath, sizeof(lpath), "%s/cm.json", dir);
	mkdir(data1, 0755);
	mkdir(data2, 0755);
	snprintf(tmp, sizeof(tmp), "%s/nfxdp.json", data1);
	write_file(tmp, "{}", 2);
	snprintf(tmp, sizeof(tmp), "%s/nfxdp.json", data2);
	write_file(tmp, "{\"namespace\": \"k8s\"}", 20);
	CHECK_EQ(symlink("..2024_1", link), 0);
	CHECK_EQ(symlink("..data/nfxdp.json", lpath), 0);
	w = nfx_config_watch_new(lpath);
	CHECK(w != NULL, "watch_new: %s", strerror(errno));
	if (!w)
		goto out;
	snprintf(tmp, sizeof(tmp), "%s/..data_tmp", dir);
	CHECK_EQ(symlink("..2024_2", tmp), 0);
	CHECK_EQ(rename(tmp, link), 0);
	CHECK_EQ(nfx_config_watch_changed(w), 1);
	nfx_config_watch_free(w);
	unlink(lpath);
	unlink(link);
	snprintf(tmp, sizeof(tmp), "%s/nfxdp.json", data1);
	unlink(tmp);
	snprintf(tmp, sizeof(tmp), "%s/nfxdp.json", data2);
	unlink(tmp);
	rmdir(data1);
	rmdir(data2);
out:
	nfx_config_free(good);
	nfx_config_free(next);
	unlink(path);
	rmdir(dir);
}

/* The example ships in doc/: found from the repository root or the binary. */
static void find_example(const char *argv0)
{
	char copy[PATH_MAX];

	if (!access(example_path, R_OK))
		return;
	snprintf(copy, sizeof(copy), "%s", argv0);
	snprintf(example_path, sizeof(example_path), "%s/../../doc/nfxdp.example.json",
		 dirname(copy));
}

int main(int argc, char **argv)
{
	find_example(argv[0]);
	RUN_TEST(test_example);
	RUN_TEST(test_defaults);
	RUN_TEST(test_invalid);
	RUN_TEST(test_invalid_yaml);
	RUN_TEST(test_yaml_errors);
	RUN_TEST(test_yaml_scalars);
	RUN_TEST(test_yaml_datadog);
	RUN_TEST(test_yaml_example);
	RUN_TEST(test_half_written);
	RUN_TEST(test_unknown_keys);
	RUN_TEST(test_ports);
	RUN_TEST(test_overrides);
	RUN_TEST(test_overrides_yaml);
	RUN_TEST(test_diff);
	RUN_TEST(test_sampling_rates);
	if (geteuid()) {
		printf("skip test_reconcile: needs root\n");
		printf("skip test_reconcile_no_gap: needs root\n");
	} else {
		RUN_TEST(test_reconcile);
		RUN_TEST(test_reconcile_no_gap);
	}
	RUN_TEST(test_watch);
	CHECK_EXIT();
}
