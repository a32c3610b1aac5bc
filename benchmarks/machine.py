"""The machine a benchmark ran on, printed beside its numbers.

Throughput targets are in wall seconds on 2 cores, but the same code on this shared VM has run 1.7x faster one day
than another (the 1M load took 25.6 s one day and 44.6 s another; json.loads of OpenAlex works ran at 13.4k/s one
day and 23.3k/s the next). A number is only comparable with one taken beside the same calibration figure.
"""

from __future__ import annotations

import os
import timeit

from nbkit.emulate import cpu_info


def calibration() -> float:
    """Microseconds for sum(range(1000)), best of 5 x 2000: ~9-10 us on an idle modern core, more on a slower or
    busier one; scale by it to compare runs taken on different days."""
    return min(timeit.repeat("sum(range(1000))", number=2000, repeat=5)) / 2000 * 1e6


def describe() -> str:
    """One line: CPU model, cores, the SIMD levels that change numeric speed, load average and the calibration."""
    model, flags = cpu_info()
    levels = (("AVX2", "avx2"), ("AVX-512", "avx512f"), ("VNNI", "avx512_vnni"), ("AMX", "amx_tile"))
    simd = ", ".join(f"{name} {'yes' if flag in flags else 'no'}" for name, flag in levels)
    load = f"{os.getloadavg()[0]:.1f}" if hasattr(os, "getloadavg") else "?"
    return (f"machine: {model}, {os.cpu_count()} cores ({simd}); load average {load}; "
            f"calibration sum(range(1000)) = {calibration():.1f} us")
