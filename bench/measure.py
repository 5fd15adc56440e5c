#!/usr/bin/env python3
"""Runs a command; prints its wall time in seconds and its peak resident memory in MiB.

Usage: measure.py COMMAND [ARG...]   (output: "<seconds> <peak MiB>" on the last line of stderr)
"""
import resource
import subprocess
import sys
import time

start = time.monotonic()
result = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL)
elapsed = time.monotonic() - start
peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
if result.returncode != 0:
    sys.exit(f"command failed ({result.returncode}): {' '.join(sys.argv[1:])}")
print(f"{elapsed:.3f} {peak_kib / 1024:.1f}", file=sys.stderr)
