#!/usr/bin/env python3
"""bootfiles.py: the inputs of the boots through other firmware flows.

    bootfiles.py dts IN.dts OUT.dts CPUS HOLE SIZE
        QEMU's device tree (as dtc prints it) with the cpus of the comma
        list CPUS disabled (status = "disabled": they stay with the
        firmware) and, unless SIZE is 0, [HOLE, HOLE + SIZE) left out of the
        memory node's one range.
    bootfiles.py pattern HOLE SIZE OUT
        SIZE bytes to load at HOLE: each 64-bit word is its physical
        address XOR 0x6a09e667f3bcc908 (tests/kernel/boot_test.c checks it).
    bootfiles.py disk OUT FS
        a disk whose MBR holds one bootable Linux partition, at 1 MiB, with
        the file system image FS in it (U-Boot's distro boot looks there).
Numbers are decimal or 0x-hex.
"""
import re
import struct
import sys

PATTERN_KEY = 0x6a09e667f3bcc908


def cells(value):
    """A 64-bit number as two <hi lo> cells."""
    return "0x%02x 0x%08x" % (value >> 32, value & 0xffffffff)


def modify_dts(text, disable, hole, size):
    """text with the cpus in disable disabled and the hole cut out of memory."""
    def cpu(m):
        if int(m.group(1), 16) not in disable:
            return m.group(0)
        disable.remove(int(m.group(1), 16))
        body, n = re.subn(r'status = "okay";', 'status = "disabled";', m.group(0), count=1)
        if n != 1:
            sys.exit("bootfiles.py: cpu@%s has no status" % m.group(1))
        return body
    text = re.sub(r"\t\tcpu@([0-9a-f]+) \{.*?\n\t\t\};", cpu, text, flags=re.S)
    if disable:
        sys.exit("bootfiles.py: no cpu@%x to disable" % disable.pop())
    if size == 0:
        return text
    m = re.search(r"(memory@[0-9a-f]+ \{[^}]*?reg = <)0x(\w+) 0x(\w+) 0x(\w+) 0x(\w+)(>;)", text)
    if not m:
        sys.exit("bootfiles.py: no memory node with one range")
    base = int(m.group(2), 16) << 32 | int(m.group(3), 16)
    end = base + (int(m.group(4), 16) << 32 | int(m.group(5), 16))
    if not base < hole < hole + size < end:
        sys.exit("bootfiles.py: the hole is not inside RAM")
    reg = "%s %s %s %s" % (cells(base), cells(hole - base), cells(hole + size),
                           cells(end - hole - size))
    return text[:m.start()] + m.group(1) + reg + m.group(6) + text[m.end():]


def pattern(hole, size):
    """The bytes boot_test.c expects in the hole."""
    return b"".join(struct.pack("<Q", (hole + off) ^ PATTERN_KEY) for off in range(0, size, 8))


def disk(fs):
    """An MBR disk with fs as its one partition (LBA 2048), bootable, type 0x83."""
    start, sectors = 2048, (len(fs) + 511) // 512
    entry = struct.pack("<B3sB3sII", 0x80, b"\xff\xff\xff", 0x83, b"\xff\xff\xff", start, sectors)
    mbr = bytearray(512)
    mbr[446:462] = entry
    mbr[510:512] = b"\x55\xaa"
    return bytes(mbr) + bytes(512 * (start - 1)) + fs + bytes(sectors * 512 - len(fs))


def main(argv):
    if len(argv) == 7 and argv[1] == "dts":
        with open(argv[2]) as f:
            text = f.read()
        with open(argv[3], "w") as f:
            f.write(modify_dts(text, {int(c, 0) for c in argv[4].split(",")}, int(argv[5], 0),
                               int(argv[6], 0)))
    elif len(argv) == 4 and argv[1] == "disk":
        with open(argv[3], "rb") as f:
            fs = f.read()
        with open(argv[2], "wb") as f:
            f.write(disk(fs))
    elif len(argv) == 5 and argv[1] == "pattern":
        with open(argv[4], "wb") as f:
            f.write(pattern(int(argv[2], 0), int(argv[3], 0)))
    else:
        sys.exit(__doc__)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
