#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Write the frames of Ethernet pcaps as libFuzzer seeds for fuzz_parse, in
the harness's input format: one settings byte, then the frame (see
tests/fuzz/fuzz_parse.c: low nibble mod 9 = tunnels.max_depth, bit 4 =
mpls_pw). Each frame gets settings 0x03 (depth 3, the default); one in
eight also 0x18 (depth 8, pseudowires), so the deepest walk is seeded too.
Frames are deduplicated; the corpus is $SL_CORPUS or
../shared/corpus/suricata-verify, plus any pcaps named.

    tools/fuzz-seeds.py [--max N] OUTDIR [PCAP ...]
"""
import argparse
import hashlib
import os
import struct

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.environ.get("SL_CORPUS") or os.path.join(os.path.dirname(ROOT), "shared", "corpus",
                                                      "suricata-verify")
DEFAULT_SETTINGS = 0x03
DEEP_SETTINGS = 0x18


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
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--max", type=int, default=0, help="stop after N seeds (0: all)")
    ap.add_argument("--no-corpus", action="store_true", help="only the pcaps named")
    ap.add_argument("out")
    ap.add_argument("pcaps", nargs="*")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    pcaps = list(a.pcaps)
    if not a.no_corpus and os.path.isdir(CORPUS):
        pcaps += [os.path.join(CORPUS, p) for p in sorted(os.listdir(CORPUS)) if p.endswith(".pcap")]
    n = 0
    for p in pcaps:
        for fr in frames(p):
            h = hashlib.sha1(fr[:256]).hexdigest()
            variants = [DEFAULT_SETTINGS] + ([DEEP_SETTINGS] if int(h[-1], 16) % 8 == 0 else [])
            for s in variants:
                path = os.path.join(a.out, f"{h}-{s:02x}")
                if os.path.exists(path):
                    continue
                with open(path, "wb") as f:
                    f.write(bytes([s]) + fr[:4095])
                n += 1
                if a.max and n >= a.max:
                    print(f"fuzz-seeds: {n} seeds in {a.out}")
                    return
    print(f"fuzz-seeds: {n} seeds in {a.out}")


if __name__ == "__main__":
    main()
