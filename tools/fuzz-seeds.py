#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Write the frames of Ethernet pcaps as libFuzzer seed files (one frame per
file, deduplicated), from ../shared/corpus/suricata-verify and any extra pcaps.

    tools/fuzz-seeds.py OUTDIR [PCAP ...]
"""
import hashlib
import os
import struct
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(os.path.dirname(ROOT), "shared", "corpus", "suricata-verify")


def frames(path):
    with open(path, "rb") as f:
        hdr = f.read(24)
        if len(hdr) < 24:
            return
        magic = struct.unpack("<I", hdr[:4])[0]
        e = "<" if magic in (0xa1b2c3d4, 0xa1b23c4d) else ">"
        if struct.unpack(e + "I", hdr[20:24])[0] != 1:  # Ethernet only
            return
        while True:
            rec = f.read(16)
            if len(rec) < 16:
                return
            incl = struct.unpack(e + "IIII", rec)[2]
            if incl > 262144:
                return
            data = f.read(incl)
            if len(data) < incl:
                return
            yield data


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    pcaps = sys.argv[2:]
    if os.path.isdir(CORPUS):
        pcaps += [os.path.join(CORPUS, p) for p in sorted(os.listdir(CORPUS)) if p.endswith(".pcap")]
    n = 0
    for p in pcaps:
        for fr in frames(p):
            h = hashlib.sha1(fr[:256]).hexdigest()
            path = os.path.join(out, h)
            if not os.path.exists(path):
                with open(path, "wb") as f:
                    f.write(fr[:4096])
                n += 1
    print(f"fuzz-seeds: {n} seed frames in {out}")


if __name__ == "__main__":
    main()
