#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""ch_enrich_compare.py NDJSON ROWS KEY... - the enrichment of each NDJSON
record (source/destination reverse_dns_hostname, the mapped fields KEY...)
against its ClickHouse row (ROWS: SELECT src_ip, src_port, dst_ip, dst_port,
bytes, packets, toUInt32(start) AS s, src_reverse_dns_hostname,
dst_reverse_dns_hostname, additional_keys, additional_values ... FORMAT
JSONEachRow).  Records are matched as multisets; exits 1 when they differ or
when no record carries a name or every mapped field (nothing was compared)."""
import collections
import json
import sys


def main():
    ndjson, rows, mapped = sys.argv[1], sys.argv[2], sys.argv[3:]
    want = collections.Counter()
    for line in open(ndjson):
        r = json.loads(line)
        s, d = r["source"], r["destination"]
        extra = tuple(sorted((k, str(r[k])) for k in mapped if k in r))
        want[(s["ip"], s["port"], d["ip"], d["port"], r["bytes"], r["packets"], r["start"],
              s.get("reverse_dns_hostname", ""), d.get("reverse_dns_hostname", ""),
              extra)] += 1
    got = collections.Counter()
    for line in open(rows):
        r = json.loads(line)
        extra = tuple(sorted(zip(r["additional_keys"], r["additional_values"])))
        got[(r["src_ip"], r["src_port"], r["dst_ip"], r["dst_port"], int(r["bytes"]),
             int(r["packets"]), int(r["s"]), r["src_reverse_dns_hostname"],
             r["dst_reverse_dns_hostname"], extra)] += 1
    named = sum(n for k, n in want.items() if k[7] or k[8])
    full = sum(n for k, n in want.items() if len(k[9]) == len(mapped))
    if want != got or not named or not full:
        print("differ: %d only in NDJSON, %d only in ClickHouse, %d named, %d mapped, "
              "e.g. NDJSON %s, ClickHouse %s"
              % (sum((want - got).values()), sum((got - want).values()), named, full,
                 list((want - got).elements())[:1], list((got - want).elements())[:1]))
        sys.exit(1)
    print("%d rows, %d with reverse DNS names, %d with the %d mapped fields"
          % (sum(want.values()), named, full, len(mapped)))


if __name__ == "__main__":
    main()
