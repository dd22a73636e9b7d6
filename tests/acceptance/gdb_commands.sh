#!/bin/sh
# gdb_commands.sh SRC BUILD: the gdb commands of tools/gdb/vm.py print what
# the in-kernel printers print for the same structures.
#
# Two boots of the image halted under gdb-multiarch (tools/gdbinit, on a
# port of their own).  The first runs selftest_gdb
# (tests/kernel/gdb_fixture_test.c): it builds a map, objects, a UPL, an
# IOMMU domain..., prints each with its in-kernel printer between
# "gdb-fixture: begin NAME" / "end NAME" lines, and stops at gdb_checkpoint,
# where gdb runs command NAME between the same lines.  The blocks must be
# equal, but for what cannot be: iommu_print drains the fault queue
# (printing what it drains) where showiommu only reads, and threads other
# than the fixture's may have moved on between the two looks.  The
# commands' own additions (showvmstat's free lists and queues, showpagers'
# swap files, showiommu's mappings, showpte's walks) are checked against
# the printed figures and the fixture's own lines.  The machine then runs
# on: the fixture is taken down and its case passes.  The second boot runs
# selftest_gdb_panic, which prints the map and panics: gdb stops in
# machine_exit, after the panic's report, and the commands must still
# print the same map and counts, and the panicking thread running.
set -eu
src=$1 build=$2
image=$build/image/kernel.elf
work=$(mktemp -d)
qemu_pid=""
cleanup() {
	if [ -n "$qemu_pid" ]; then kill "$qemu_pid" 2>/dev/null || true; fi
	rm -rf "$work"
}
trap cleanup EXIT
# An 8 MiB swap disk and 1 MiB swap files, added one cluster below 8 MiB free
# (the fixture's two pageouts) and removed above 9 MiB (once it is gone).
args="swap=swap swapfile=share swapfile.size=1M swapfile.hiwat=8128K swapfile.lowat=9152K"
args="$args swapfile.hold=100"

# free_port: a TCP port on localhost that nothing listens on now.
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# boot_under_gdb NAME SUITE COMMANDS: boot SUITE halted, run the gdb
# COMMANDS file; the console goes to $work/NAME.console, gdb's output to
# $work/NAME.gdb, QEMU's exit status to $work/NAME.status.
boot_under_gdb() {
	port=$(free_port)
	"$src/tools/qemu-run.sh" --gdb-port "$port" --work "$work/$1" "$image" "test=$2 $args" \
		-m 256M -smp 2 --blk swap:8M --9p share > "$work/$1.console" 2>&1 &
	qemu_pid=$!
	# gdb retries the connection until QEMU listens (set tcp auto-retry, on by default).
	(cd "$src" && timeout 60 gdb-multiarch -nx -batch -iex "set \$gdb_port = $port" \
		-x tools/gdbinit -x "$3" "$image") > "$work/$1.gdb" 2>&1 || true
	status=0
	# The commands end with "continue": the machine runs to its end (30 s at most).
	timeout 30 sh -c "while kill -0 $qemu_pid 2>/dev/null; do sleep 0.1; done" ||
		kill "$qemu_pid" 2>/dev/null || true
	wait "$qemu_pid" || status=$?
	qemu_pid=""
	echo "$status" > "$work/$1.status"
}

# block NAME COMMAND: gdb commands printing COMMAND's output between NAME's markers.
block() {
	printf 'echo gdb-fixture: begin %s\\n\n%s\necho gdb-fixture: end %s\\n\n' "$1" "$2" "$1"
}

{
	echo "delete"
	echo "hbreak gdb_checkpoint"
	echo "continue"
	block showmap "showmap -full gdb_fixture.map"
	block showmap-near "showmap -near 0x10020000 gdb_fixture.map"
	block showobject "showobject -pages gdb_fixture.object"
	block showpmap "showpmap gdb_fixture.map->pmap"
	block showpte "showpte gdb_fixture.map->pmap 0x10000000
showpte gdb_fixture.map->pmap 0x10010000
showpte gdb_fixture.map->pmap 0x10020000"
	block showvmstat "showvmstat"
	block showpagers "showpagers"
	block showupls "showupls"
	block showiommu "showiommu -mappings"
	block showthreads "showthreads"
	block help "help showmap
help showobject
help showpmap
help showpte
help showvmstat
help showpagers
help showupls
help showthreads
help showiommu"
	echo "delete"
	echo "continue"
} > "$work/fixture.cmds"

{
	echo "delete"
	echo "hbreak machine_exit"
	echo "continue"
	block showmap "showmap -full gdb_fixture.map"
	block showvmstat "showvmstat"
	block showthreads "showthreads"
	# shellcheck disable=SC2016 # gdb's $tp (the hart's struct hart), not the shell's
	block hart 'printf "%d\n", ((struct hart *)$tp)->index'
	echo "delete"
	echo "continue"
} > "$work/panic.cmds"

boot_under_gdb fixture selftest_gdb "$work/fixture.cmds"
boot_under_gdb panic selftest_gdb_panic "$work/panic.cmds"

python3 - "$work" <<'EOF'
import difflib
import re
import sys

work = sys.argv[1]
fails = []


def fail(what, want=None, got=None):
    fails.append(what)
    print("FAIL: %s" % what)
    if want is not None:
        for line in difflib.unified_diff(want, got, "in-kernel printer", "gdb command",
                                         lineterm=""):
            print("    " + line)


def read(name):
    with open("%s/%s" % (work, name), errors="replace") as f:
        return [line.rstrip("\r\n").replace("\r", "") for line in f]


def blocks(lines):
    """{NAME: [lines]} of the "gdb-fixture: begin NAME" ... "end NAME" blocks."""
    out, name = {}, None
    for line in lines:
        m = re.match(r"gdb-fixture: (begin|end) (\S+)$", line)
        if m and m.group(1) == "begin":
            name = m.group(2)
            out[name] = []
        elif m:
            name = None
        elif name:
            out[name].append(line)
    return out


def need(blocks_, name, side):
    if name not in blocks_:
        fail("%s printed no %s block" % (side, name))
        return []
    return blocks_[name]


def same(name, want, got):
    if want != got:
        fail("%s differs from its in-kernel printer" % name, want, got)
    elif not want:
        fail("%s: both sides empty" % name)


def threads(lines):
    """[(line, [backtrace lines])] of thread_print_all's output."""
    out = []
    for line in lines:
        if line.startswith("  thread "):
            out.append((line, []))
        elif out:
            out[-1][1].append(line)
    return out


def thread_key(line):
    m = re.match(r"  thread (\d+) (.*?): ", line)
    return (m.group(1), m.group(2)) if m else (None, line)


def check_threads(want, got, own):
    """Every thread on both sides; the fixture's own and those that stayed put, equal."""
    w, g = threads(want), threads(got)
    if [thread_key(l) for l, _ in w] != [thread_key(l) for l, _ in g]:
        fail("showthreads lists other threads", [l for l, _ in w], [l for l, _ in g])
        return
    compared = 0
    for (wl, wb), (gl, gb) in zip(w, g):
        state_w, state_g = wl.split(": ", 1)[1], gl.split(": ", 1)[1]
        if own in wl or state_w == state_g:
            compared += 1
            if (wl, wb) != (gl, gb):
                fail("showthreads: %s" % thread_key(wl)[1], [wl] + wb, [gl] + gb)
    if compared < 3:
        fail("showthreads: only %d threads kept their state to be compared" % compared)
    if not any(own in l and ": running, channel 0, hart " in l for l, _ in g):
        fail("showthreads does not show the fixture's thread running on a hart")


con = read("fixture.console")
gdb = read("fixture.gdb")
if read("fixture.status") != ["0"] or "1 passed, 0 failed" not in con:
    fail("the fixture suite did not pass (status %s)" % read("fixture.status"))
if "gdb-fixture: built" not in con:
    fail("the fixture was not built")
if not any(l.startswith("Thread ") and "hit Breakpoint" in l and "gdb_checkpoint" in l
           for l in gdb):
    fail("gdb did not stop in gdb_checkpoint")
cb, gb = blocks(con), blocks(gdb)

for name in ("showmap", "showmap-near", "showobject", "showpmap", "showupls"):
    same(name, need(cb, name, "the console"), need(gb, name, "gdb"))

# showpte: the leaf and address each walk reaches, as pmap_pte_get and pmap_extract said.
walks = {}
for line in need(gb, "showpte", "gdb"):
    m = re.match(r"pmap \S+: walk of 0x([0-9a-f]+)$", line)
    if m:
        va = int(m.group(1), 16)
        walks[va] = []
    elif walks:
        walks[va].append(line)
for line in con:
    m = re.match(r"gdb-fixture: walk 0x([0-9a-f]+) pte (0x[0-9a-f]+) -> (0x[0-9a-f]+)$", line)
    if not m:
        continue
    va, pte, pa = int(m.group(1), 16), int(m.group(2), 16), int(m.group(3), 16)
    lines = walks.get(va, [])
    if pte == 0:
        ok = lines and lines[-1] == "  0x%016x: not mapped" % va
    else:
        ok = (len(lines) == 4 and "pte 0x%016x -> page" % pte in lines[-2] and
              lines[-1] == "  0x%016x -> 0x%010x" % (va, pa))
    if not ok:
        fail("showpte 0x%x: the walk does not end at pte 0x%x -> 0x%x" % (va, pte, pa),
             ["pte 0x%016x -> 0x%010x" % (pte, pa)], lines)
if len(walks) != 3:
    fail("showpte: %d walks printed, 3 asked" % len(walks))

# showvmstat: the vm_stat line, then free lists and queues that add up to it.
want, got = need(cb, "showvmstat", "the console"), need(gb, "showvmstat", "gdb")
same("showvmstat", want, got[:1])
m = re.match(r"vm_stat: free (\d+) active (\d+) inactive (\d+)", want[0] if want else "")
if m:
    free, active, inactive = (int(x) for x in m.groups())
    for line in ("  free lists: %d pages in blocks of order " % free,
                 "  queue active: %d pages, %d on its list" % (active, active),
                 "  queue inactive: %d pages, %d on its list" % (inactive, inactive)):
        if not any(l.startswith(line) for l in got):
            fail("showvmstat lacks \"%s\"" % line, [line], got)

# showpagers: default_pager_print, then the swap file the dynamic pager made.
want, got = need(cb, "showpagers", "the console"), need(gb, "showpagers", "gdb")
same("showpagers", want, got[:len(want)])
files = got[len(want):]
if (not files or not re.match(r"swap files: 1 of at most \d+, 1 MiB each; \d+ made", files[0]) or
        not any(re.match(r"  swap/swapfile0 +segment file:swapfile0$", l) for l in files) or
        not any(l.startswith("  file:swapfile0 ") for l in want)):
    fail("showpagers does not show the swap file", ["swap files: 1 ..."], files)

# showiommu: iommu_print (less what its drain printed), then the mappings.
want = [l for l in need(cb, "showiommu", "the console")
        if not l.startswith("iommu: device ") and not l.startswith("iommu: fault queue")]
got = need(gb, "showiommu", "gdb")
same("showiommu", want, got[:len(want)])
maps = got[len(want):]
for line in con:
    m = re.match(r"gdb-fixture: iommu (0x[0-9a-f]+) -> (0x[0-9a-f]+) (\S+)$", line)
    if m and not any(l.startswith("    %s-" % m.group(1)) and
                     l.endswith(" -> %s %s (1 page)" % (m.group(2), m.group(3))) for l in maps):
        fail("showiommu -mappings lacks %s -> %s %s" % m.groups(), [line], maps)
domain, pages = None, {}
for line in maps:
    m = re.match(r"  domain (\d+): root \S+, \d+ devices, (\d+) pages mapped$", line)
    if m:
        domain = m.group(1)
        pages[domain] = [int(m.group(2)), 0]
    m = re.match(r"    \S+ -> \S+ \S+ \((\d+) pages?\)$", line)
    if m and domain:
        pages[domain][1] += int(m.group(1))
if len(pages) < 3 or any(a != b for a, b in pages.values()):
    fail("showiommu -mappings: each domain's runs must add up to its pages mapped", [], maps)

check_threads(need(cb, "showthreads", "the console"), need(gb, "showthreads", "gdb"),
              "fixture_printed_then_ch")

# help: each command documents itself.
helps = need(gb, "help", "gdb")
for cmd in ("showmap", "showobject", "showpmap", "showpte", "showvmstat", "showpagers",
            "showupls", "showthreads", "showiommu"):
    if not any(l.startswith("Usage: %s" % cmd) for l in helps):
        fail("help %s gives no usage" % cmd)

# After a panic: stopped in machine_exit, the same map and counts, the thread running.
con = read("panic.console")
gdb = read("panic.gdb")
if read("panic.status") != ["2"]:
    fail("the panic boot ended with status %s, not 2" % read("panic.status"))
if not any("selftest: deliberate panic with the gdb fixture built" in l for l in con):
    fail("the panic boot did not panic")
if not any("hit Breakpoint" in l and "machine_exit" in l for l in gdb):
    fail("gdb did not stop in machine_exit after the panic")
cb, gb = blocks(con), blocks(gdb)
same("showmap after a panic", need(cb, "showmap", "the console"), need(gb, "showmap", "gdb"))
same("showvmstat after a panic", need(cb, "showvmstat", "the console"),
     need(gb, "showvmstat", "gdb")[:1])
hart = need(gb, "hart", "gdb")       # the index of the hart that stopped (tp: its struct hart)
if not hart or not any(re.match(r"  thread \d+ fixture_printed_then_pa: running, channel 0, "
                                r"hart %s$" % hart[0], l) for l in need(gb, "showthreads", "gdb")):
    fail("showthreads after the panic does not show the panicking thread running on hart %s" %
         (hart[0] if hart else "?"))

if fails:
    for name in ("fixture.console", "fixture.gdb", "panic.console", "panic.gdb"):
        print("---- %s" % name)
        print("\n".join(read(name)))
    sys.exit(1)
print("gdb_commands: 2 passed, 0 failed")
EOF
