// SPDX-License-Identifier: BSD-2-Clause
/*
 * fuzz_config.c - libFuzzer target for the configuration file in both its
 * syntaxes: control/config.c (the option table, the JSON path, the Agent's
 * network_devices section, command-line overrides on top) and
 * control/config_yaml.c (libyaml events into the json-c tree, its bounds).
 *
 * Input: byte 0 selects (bit 0: apply a fixed set of command-line
 * overrides, which replace values the file wrote), the rest is the file.
 * Every input also goes to the YAML reader directly, so flow-style YAML
 * that starts with "{" (which the file path reads as JSON) is covered too.
 * A configuration that loads is diffed against the defaults and its port map
 * built, as a reload would.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "control/config.h"
#include "control/config_yaml.h"

static void check_loaded(struct nfx_config *c)
{
	struct nfx_config *d = nfx_config_default();
	struct nfx_port_want want[NFX_MAX_PORTS];
	char buf[256];

	nfx_config_diff_str(nfx_config_diff(d, c), buf, sizeof(buf));
	if (nfx_config_ports(c, want, NFX_MAX_PORTS) < 0)
		abort();	/* the parser bounds distinct ports to the map's size */
	for (size_t i = 0; i < c->nlisteners; i++)
		nfx_config_listener(c, c->listeners[i].port, 9);
	nfx_config_free(d);
}

/*
 * Overrides come with a file (nfx_config_build()): one private file,
 * rewritten for each input.  "" when it cannot be made.
 */
static const char *input_file(const char *text, size_t len)
{
	static char path[64];
	static int fd = -1;

	if (fd < 0) {
		snprintf(path, sizeof(path), "/tmp/fuzz_config.%d", (int)getpid());
		fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (fd < 0)
			return "";
	}
	if (ftruncate(fd, 0) || pwrite(fd, text, len, 0) != (ssize_t)len)
		return "";
	return path;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nfx_cfg_overrides ov = { .n = 0 };
	struct nfx_yaml_doc doc;
	struct nfx_config *c = NULL;
	char err[512];
	const char *text;

	if (size < 1)
		return 0;
	nfx_log_level = -1;	/* unknown keys warn: not the fuzzer's business */
	text = (const char *)data + 1;
	size--;
	if (data[0] & 1) {
		nfx_cfg_override(&ov, "output.path", "/dev/null");
		nfx_cfg_override(&ov, "workers", "2");
		nfx_cfg_override(&ov, "namespace", "fuzz");
		nfx_cfg_override(&ov, "listeners", "[{\"flow_type\": \"sflow5\"}]");
	}
	if (nfx_yaml_load(text, size, &doc, err, sizeof(err)) == 0)
		nfx_yaml_doc_free(&doc);
	if (!ov.n) {
		if (nfx_config_parse("fuzz", text, size, &c, err, sizeof(err)) == 0)
			check_loaded(c);
	} else if (nfx_config_build(input_file(text, size), &ov, &c, err, sizeof(err)) == 0) {
		check_loaded(c);
	}
	nfx_config_free(c);
	return 0;
}
