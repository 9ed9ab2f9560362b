"""Peak resident memory of this process, with the kernel's peak mark reset before a measured step (Linux)."""

from __future__ import annotations

import resource


def rss_mb() -> float:
    """The resident set size now, in MiB."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize() / 2**20


def reset_peak() -> None:
    """Set the peak-RSS mark (VmHWM) to the current RSS, so peak_mb() reports the peak from here on."""
    with open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")


def peak_mb() -> float:
    """The peak resident set size since the last reset_peak(), in MiB."""
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith("VmHWM:"))
    return int(line.split()[1]) / 1024
