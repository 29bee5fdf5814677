#!/bin/bash
# The record fields of issue 15 (NAT and firewall, ...) end to end: crafted
# v9/IPFIX messages decoded by `nfxdp decode`, each expected key compared and
# every record checked against doc/flow.schema.json
# (tests/tools/fields_check.py).  Offline: no privileges needed.
set -u
cd "$(dirname "$0")/../.."
NFXDP=${NFXDP:-build/nfxdp}
tmp=$(mktemp -d /tmp/nfxtest-fields.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
/usr/bin/python3 tests/tools/fields_check.py "$NFXDP" doc/flow.schema.json "$tmp"
exit 0
