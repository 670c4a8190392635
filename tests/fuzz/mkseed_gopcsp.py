#!/usr/bin/env python3
"""Writes the fuzz seeds tests/fuzz/corpus/cfi/tiny-gopcsp.so and tiny-gopcsp120.so, which
test_cfi also reads (go_pcsp_forged): tiny.so (see fuzz_cfi.c) with a .gopclntab whose
five functions over its .text (0x260-0x2d0) have stack-pointer tables of every kind the
reader must handle:

  runtime.goexit [0x260, 0x270)  sp delta 0 throughout (a root: the table's STOP row wins)
  main.f         [0x270, 0x2a0)  0 for 4 bytes, 0x18 for 0x18, 0 for 8; then padding
  main.nopcsp    [0x2a0, 0x2b0)  no table (pcsp 0)
  main.bad       [0x2b0, 0x2c0)  0x10 for 4 bytes, then a varint cut off by pctab's end
  main.odd       [0x2c0, 0x2d0)  0x1c (not a multiple of 8) for 0x40 bytes, past its end

tiny-gopcsp.so is Go 1.18's layout, its .eh_frame removed (frame pointers under the
tables); tiny-gopcsp120.so is Go 1.20's, textStart 0 (as in position-independent
binaries), .eh_frame kept.
Usage: mkseed_gopcsp.py TINY_SO OUT_DIR (needs objcopy)."""
import os
import struct
import subprocess
import sys
import tempfile

TEXT = 0x260


def uvarint(v):
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        if v:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def table(pairs, end=True):
    """pairs: (value, pc length) from value -1 at entry; end: append the terminator."""
    out, prev = bytearray(), -1
    for value, length in pairs:
        d = value - prev
        out += uvarint((d << 1) ^ (d >> 63) if d >= 0 else ((-d - 1) << 1) | 1)
        out += uvarint(length)
        prev = value
    if end:
        out.append(0)
    return bytes(out)


def gopclntab(go120):
    funcs = [  # name, entry offset, pcsp table or None
        ("runtime.goexit", 0x00, table([(0, 0x10)])),
        ("main.f", 0x10, table([(0, 4), (0x18, 0x18), (0, 8)])),
        ("main.nopcsp", 0x40, None),
        ("main.odd", 0x60, table([(0x1C, 0x40)])),
        ("main.bad", 0x50, table([(0x10, 4)], end=False) + b"\x80"),
    ]
    names, nameoff = bytearray(), {}
    for name, _, _ in funcs:
        nameoff[name] = len(names)
        names += name.encode() + b"\0"
    pctab, pcsp = bytearray(b"\0"), {}  # offset 0 means "no table"
    for name, _, tab in funcs:  # main.bad last: its cut varint meets pctab's end
        if tab is not None:
            pcsp[name] = len(pctab)
            pctab += tab
    funcs.sort(key=lambda f: f[1])
    fsize = 44 if go120 else 40
    nfunc = len(funcs)
    ftab = bytearray()
    for i, (name, entry, _) in enumerate(funcs):
        ftab += struct.pack("<II", entry, 8 * (nfunc + 1) + fsize * i)
    ftab += struct.pack("<II", 0x70, 0)
    body = bytearray()
    for name, entry, _ in funcs:
        f = struct.pack("<IiiIIIIII", entry, nameoff[name], 0, 0, pcsp.get(name, 0), 0, 0, 0, 0)
        if go120:
            f += struct.pack("<i", 0)
        f += bytes([0, 0, 0, 0])  # funcID, flag, pad, nfuncdata
        body += f
    hdr_size = 72
    off_names = hdr_size
    off_cu = off_names + len(names)
    off_files = off_cu
    off_pctab = off_files
    off_pcln = off_pctab + len(pctab)
    magic = 0xFFFFFFF1 if go120 else 0xFFFFFFF0
    hdr = struct.pack("<IBBBB", magic, 0, 0, 1, 8)
    hdr += struct.pack("<8Q", nfunc, 0, 0 if go120 else TEXT, off_names, off_cu, off_files,
                       off_pctab, off_pcln)
    return hdr + names + pctab + ftab + body


def main():
    tiny, out = sys.argv[1], sys.argv[2]
    with tempfile.TemporaryDirectory() as tmp:
        for go120, name, extra in ((False, "tiny-gopcsp.so", ["--remove-section=.eh_frame",
                                                               "--remove-section=.eh_frame_hdr"]),
                                   (True, "tiny-gopcsp120.so", [])):
            sec = os.path.join(tmp, "gopclntab")
            with open(sec, "wb") as f:
                f.write(gopclntab(go120))
            subprocess.run(["objcopy", "--add-section", ".gopclntab=" + sec] + extra +
                           [tiny, os.path.join(out, name)], check=True)


if __name__ == "__main__":
    main()
