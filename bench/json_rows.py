#!/usr/bin/env python3
"""Helpers for bench/run-benchmarks.sh over edgecache-bench --json lines.

  json_rows.py table  < runs.jsonl   print a markdown table
"""
import json
import sys


def table(lines):
    print("| policy | cache | requests | miss ratio | byte miss ratio | Mreq/s |")
    print("|---|---:|---:|---:|---:|---:|")
    for line in lines:
        r = json.loads(line)
        mib = r["cache_bytes"] / 2**20
        print(f"| {r['policy']} | {mib:.0f} MiB | {r['requests']} | {r['miss_ratio']:.4f} | "
              f"{r['byte_miss_ratio']:.4f} | {r['requests_per_second'] / 1e6:.1f} |")


if __name__ == "__main__":
    {"table": table}[sys.argv[1]](sys.stdin)
