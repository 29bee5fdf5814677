#!/usr/bin/python3
"""Validate NDJSON files against doc/flow.schema.json.

usage: schema_check.py SCHEMA FILE.ndjson...   (exit 1 on the first invalid line)
"""
import json
import sys

import jsonschema


def main():
    schema = json.load(open(sys.argv[1]))
    validator = jsonschema.Draft7Validator(schema, format_checker=jsonschema.FormatChecker())
    lines = 0
    for path in sys.argv[2:]:
        with open(path) as f:
            for n, line in enumerate(f, 1):
                errors = sorted(validator.iter_errors(json.loads(line)), key=str)
                if errors:
                    e = errors[0]
                    print(f"{path}:{n}: {'/'.join(map(str, e.path))}: {e.message}")
                    sys.exit(1)
                lines += 1
    print(f"{lines} records valid")


if __name__ == "__main__":
    main()
