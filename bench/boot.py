#!/usr/bin/env python3
"""boot.py - where a guest's cold boot goes, from its console logs.

  bench/boot.py RUN_DIR

Reads every console-boot*.log of a run (the boots that made saved states;
their kernel runs with nicq.debug=1, so /init's steps are in the kernel log
with its time stamps) and the guests' boot_ms (libvirt's start to the
readiness marker) from result.json, and prints the mean of each stage:
libvirt, firmware and kernel decompression before the kernel's first
message; the kernel up to initramfs unpacking; unpacking; the rest of the
kernel up to /init; /init's module loading, interface set-up, host key
(which waits for the CRNG), and dropbear up to the marker.
"""
import glob
import json
import os
import re
import statistics
import sys

MARKS = [
    ("kernel start", r"Linux version"),
    ("initramfs unpack starts", r"Unpacking initramfs|Trying to unpack rootfs"),
    ("initramfs unpacked", r"Freeing initrd memory"),
    ("/init starts", r"Run /init as init process"),
    ("modules loaded", r"nicq-init: modules loaded"),
    ("interfaces up", r"nicq-init: interfaces configured"),
    ("CRNG ready", r"crng init done"),
    ("host key made", r"nicq-init: host key generated"),
    ("dropbear listening", r"nicq-init: ready"),
]
STAMP = re.compile(r"\[\s*(\d+\.\d+)\]")


def marks(path):
    out = {}
    with open(path, errors="replace") as f:
        for line in f:
            m = STAMP.search(line)
            if not m:
                continue
            for name, pat in MARKS:
                if name not in out and re.search(pat, line):
                    out[name] = float(m.group(1))
    return out


def main():
    run = sys.argv[1]
    boots = []
    for rj in glob.glob(os.path.join(run, "*", "*", "result.json")):
        with open(rj) as f:
            r = json.load(f)
        d = os.path.dirname(rj)
        for g in r.get("guests", []):
            if "boot_ms" not in g:
                continue
            sfx = "" if len(r["guests"]) == 1 else ("-b" if g["index"] else "-a")
            log = os.path.join(d, f"console-boot{sfx}.log")
            if os.path.exists(log):
                boots.append((g["boot_ms"] / 1000, marks(log)))
    if not boots:
        print("boot: no cold boots with a console-boot log in", run)
        return 1
    print(f"  cold boots: {len(boots)}, libvirt start to readiness marker: "
          f"mean {statistics.mean(b for b, _ in boots):.1f} s")
    prev = None
    for name, _ in MARKS:
        vals = [m[name] for _, m in boots if name in m]
        if not vals:
            print(f"    {name:26s} (not seen)")
            continue
        t = statistics.mean(vals)
        step = f"+{t - prev:.2f} s" if prev is not None else ""
        print(f"    {name:26s} at {t:6.2f} s of kernel time {step}")
        prev = t
    ends = [m["dropbear listening"] for _, m in boots if "dropbear listening" in m]
    if ends:
        pre = statistics.mean(b for b, m in boots if "dropbear listening" in m) - \
            statistics.mean(ends)
        print(f"    before the kernel's clock (libvirt, QEMU, firmware, "
              f"decompression) and after it to the marker: {pre:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
