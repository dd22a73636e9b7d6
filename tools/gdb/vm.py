# vm.py: gdb commands that show the VM of a halted or panicked image, in the
# manner of xnu's debugger macros.  tools/gdbinit sources it.
#
#   showmap [-full] [-near ADDR] MAP     a map's entries (vm_map_print)
#   showobject [-pages] OBJECT           an object and its shadow chain (vm_object_print)
#   showpmap PMAP [START [END]]          a pmap's Sv39 leaves (pmap_print)
#   showpte PMAP VA                      the walk of the tables for one address
#   showvmstat                           the vm_stat line, free lists, page queues
#   showpagers                           the default pager's pool, the swap files
#   showupls                             the UPLs not yet freed (upl_print_all)
#   showthreads                          threads, state, hart, backtrace (thread_print_all)
#   showiommu [-mappings] [UNIT]         the IOMMU's devices (iommu_print), its mappings
#
# Each prints what the in-kernel printer named beside it prints, line for
# line (tests/acceptance/gdb_commands.sh holds them to it), reading memory
# only: no function of the image is called, no lock taken, so they work on
# a machine stopped anywhere, a panic included.  Everything is found
# through the symbol table and the structures' debug information (field
# names, array lengths, enumerations).  The Sv39 constants come from the
# image's pmap_layout (platform/riscv/pmap_md.h); the printers' words
# (protections, inheritance, thread states, IOMMU fault causes) from the
# tables the C printers use.  Physical memory (page tables, the direct map)
# is read through the kernel's direct map, as the image reads it, so the
# selected hart must be in S-mode with paging on (any hart stopped in the
# image is).
#
# Arguments are gdb expressions: `showmap kernel_map`, `showobject
# $1->object`, `showpmap 0xffffffc0800b7b70`.

import struct

import gdb

# ---- reading the image -----------------------------------------------------------------

MASK64 = (1 << 64) - 1


def _sym(name, file=None):
    """The value of a variable, static ones by file: _sym('threads', 'thread.c')."""
    try:
        return gdb.parse_and_eval("'%s'::%s" % (file, name) if file else name)
    except gdb.error as e:
        raise gdb.GdbError("%s: not in the symbol table (%s)" % (name, e))


def _u(v):
    """v as an unsigned 64-bit integer."""
    return int(v) & MASK64


def _p(v):
    """A pointer as the image's printf prints %p: 0 or 0x followed by hex digits."""
    a = _u(v)
    return "0x%x" % a if a else "0"


def _str(v):
    """A char array or pointer as a Python string."""
    if v.type.strip_typedefs().code == gdb.TYPE_CODE_ARRAY:
        return v.string(errors="replace", length=_array_len(v)).split("\0")[0]
    return v.string(errors="replace") if _u(v) else "(null)"


def _array_len(v):
    """Elements of an array value or type."""
    t = v.strip_typedefs() if isinstance(v, gdb.Type) else v.type.strip_typedefs()
    lo, hi = t.range()
    return hi - lo + 1


def _read(addr, size):
    """size bytes at virtual address addr."""
    try:
        return bytes(gdb.selected_inferior().read_memory(addr, size))
    except gdb.MemoryError as e:
        raise gdb.GdbError(
            "cannot read 0x%x (%s): is the selected hart in S-mode with paging on?" % (addr, e))


def _array_read(array):
    """The elements of an array in memory, read in one piece (not lazily, one by one)."""
    elem = array.type.strip_typedefs().target()
    n, size = _array_len(array), elem.sizeof
    data = _read(_u(array.address), n * size)
    return [gdb.Value(data[i * size:(i + 1) * size], elem) for i in range(n)]


def _enum_names(typename, prefix):
    """{value: name} of an enumeration, the prefix taken off and lowered."""
    return {f.enumval: f.name[len(prefix):].lower() for f in gdb.lookup_type(typename).fields()}


def _pointer(arg, typename):
    """The gdb expression arg as a `typename *` (an integer is taken as an address)."""
    if not arg:
        raise gdb.GdbError("an expression naming the %s is needed" % typename)
    v = gdb.parse_and_eval(arg)
    want = gdb.lookup_type(typename).pointer()
    code = v.type.strip_typedefs().code
    if code == gdb.TYPE_CODE_STRUCT:
        v = v.address
    return v.cast(want)


def _number(arg):
    return _u(gdb.parse_and_eval(arg))


def _out(lines):
    gdb.write("".join(line + "\n" for line in lines))


def _options(arg, flags, valued=()):
    """Split arg into ({option: value or True}, [positional]); options start with '-'."""
    opts, rest = {}, []
    argv = gdb.string_to_argv(arg)
    i = 0
    while i < len(argv):
        a = argv[i]
        if a in flags:
            opts[a] = True
        elif a in valued:
            if i + 1 == len(argv):
                raise gdb.GdbError("%s needs a value" % a)
            opts[a] = argv[i + 1]
            i += 1
        elif a.startswith("-") and not rest and len(a) > 1 and not a[1].isdigit():
            raise gdb.GdbError("unknown option %s" % a)
        else:
            rest.append(a)
        i += 1
    return opts, rest


def _walk_list(head, link, limit):
    """The nodes of a NULL-terminated list from head through field link, at most limit."""
    n = head
    while _u(n) and limit > 0:
        yield n
        n = n[link]
        limit -= 1


# ---- Sv39 page tables (platform/riscv/pte.h, through pmap_layout) ---------------------------

class _Sv39:
    """The image's pmap_layout, and walks of page tables through the direct map."""

    def __init__(self):
        lay = _sym("pmap_layout")
        self.f = {f.name: _u(lay[f.name]) for f in lay.type.strip_typedefs().fields()}

    def __getattr__(self, name):
        try:
            return self.__dict__["f"][name]
        except KeyError:
            raise AttributeError(name)

    def level_shift(self, level):
        return self.page_shift + self.level_bits * level

    def level_size(self, level):
        return 1 << self.level_shift(level)

    def index(self, va, level):
        return (va >> self.level_shift(level)) & (self.entries - 1)

    def table(self, pa):
        """The entries of the page table at physical address pa."""
        data = _read(pa + self.dmap_base, self.entries * 8)
        return struct.unpack("<%dQ" % self.entries, data)

    def pte_pa(self, e):
        return ((e & self.pte_ppn_mask) >> self.pte_ppn_shift) << self.page_shift

    def is_leaf(self, e):
        return (e & (self.pte_r | self.pte_w | self.pte_x)) != 0

    def leaf_pa(self, e, va, level):
        """The physical address a leaf at level maps va to (Svnapot included)."""
        size = self.level_size(level)
        if level == 0 and e & self.pte_n:
            low = (self.napot_64k_pages - 1) << self.pte_ppn_shift
            return (self.pte_pa(e & ~low) | (va & ((self.napot_64k_pages - 1) << self.page_shift))
                    | (va & (size - 1)))
        return self.pte_pa(e) + (va & (size - 1))

    def sign_extend(self, va):
        top = 1 << (self.va_bits - 1)
        return (va | (MASK64 & ~((top << 1) - 1))) if va & top else va

    def canonical(self, va):
        return self.sign_extend(va & ((1 << self.va_bits) - 1)) == va

    def leaves(self, root_pa, lo, hi, sign_extend=True):
        """(va, level, pte) of every valid leaf under root_pa that meets [lo, hi), in order."""
        def walk(table_pa, level, base):
            for i, e in enumerate(self.table(table_pa)):
                va = base + i * self.level_size(level)
                if sign_extend and level == self.levels - 1:
                    va = self.sign_extend(va)
                if not e & self.pte_v or va + self.level_size(level) - 1 < lo or va > hi - 1:
                    continue
                if self.is_leaf(e):
                    yield va, level, e
                else:
                    yield from walk(self.pte_pa(e), level - 1, va)
        yield from walk(root_pa, self.levels - 1, 0)

    def size_name(self, level):
        size = self.level_size(level)
        for unit, name in ((1 << 30, "G"), (1 << 20, "M"), (1 << 10, "K")):
            if size >= unit:
                return "%d%s" % (size // unit, name)
        return "%d" % size

    def flags(self, e):
        """A leaf's access as pmap_print shows it: r w x u a d, '-' for each bit clear."""
        bits = ((self.pte_r, "r"), (self.pte_w, "w"), (self.pte_x, "x"), (self.pte_u, "u"),
                (self.pte_a, "a"), (self.pte_d, "d"))
        return "".join(c if e & b else "-" for b, c in bits)


# ---- showmap, showobject ------------------------------------------------------------------

def _prot_str(prot, letters):
    return "".join(chr(int(l["letter"])) if prot & int(l["bit"]) else "-" for l in letters)


def _object_lines(obj, full, indent):
    """vm_object_print_at(obj, full, indent): obj and its shadow chain."""
    lines, depth, seen = [], 0, set()
    while _u(obj) and _u(obj) not in seen:
        seen.add(_u(obj))
        o = obj.dereference()
        pad = " " * (2 * depth + indent)
        shadow = o["shadow"]
        line = "%sobject %d: size 0x%x, %d refs, %d resident%s%s%s" % (
            pad, _u(o["id"]), _u(o["size"]), int(o["ref_count"]), _u(o["resident_count"]),
            ", one mapping" if o["one_mapping"] else "",
            ", attached" if int(o["attach_count"]) else "",
            ", paged out" if _u(o["pager"]) else "")
        if _u(shadow):
            line += ", shadows at 0x%x:" % _u(o["shadow_offset"])
        lines.append(line)
        if full:
            limit = _u(o["resident_count"]) + 1
            for m in _walk_list(o["pages"], "onext", limit):
                lines.append("%s0x%x -> page 0x%x%s" % (" " * (2 * depth + indent + 2),
                                                        _u(m["offset"]), _u(m["phys_addr"]),
                                                        " busy" if m["busy"] else ""))
        obj = shadow
        depth += 1
    return lines


class _MapPrinter:
    """map_print_locked, reading instead of locking."""

    def __init__(self):
        letters = _sym("vm_prot_letters", "vm_map.c")
        self.letters = [letters[i] for i in range(_array_len(letters))]
        self.inherit = _sym("vm_inherit_names", "vm_map.c")
        self.behavior = _sym("vm_behavior_names", "vm_map.c")

    def name(self, table, i):
        return _str(table[i]) if 0 <= i < _array_len(table) else "?%d" % i

    def entry_line(self, e, indent):
        line = "%s  0x%016x-0x%016x %s/%s %s %s wired %d/%d" % (
            " " * indent, _u(e["start"]), _u(e["end"]),
            _prot_str(int(e["protection"]), self.letters),
            _prot_str(int(e["max_protection"]), self.letters),
            self.name(self.inherit, int(e["inheritance"])),
            self.name(self.behavior, int(e["behavior"])),
            int(e["wired_count"]), int(e["user_wired_count"]))
        if int(e["pin_count"]):
            line += " pinned %d" % int(e["pin_count"])
        if e["is_submap"]:
            line += " submap %s+0x%x%s" % (_p(e["submap"]), _u(e["offset"]),
                                           " use_pmap" if e["use_pmap"] else "")
        elif _u(e["object"]):
            line += " object %d+0x%x%s%s" % (_u(e["object"]["id"]), _u(e["offset"]),
                                             " needs_copy" if e["needs_copy"] else "",
                                             " shared" if e["is_shared"] else "")
        else:
            line += " zero-fill"
        return line

    def lines(self, vmap, lo, hi, full, indent):
        m = vmap.dereference()
        out = ["%smap %s: 0x%x-0x%x, %d entries, 0x%x bytes" % (
            " " * indent, _p(vmap), _u(m["min_offset"]), _u(m["max_offset"]),
            int(m["nentries"]), _u(m["size"]))]
        writer = m["lock"]["writer"]
        if _u(writer):
            out.append("%s  (write-locked by thread %d %s: entries may be changing)" % (
                " " * indent, int(writer["id"]), _str(writer["name"])))
        for e in _walk_list(m["first"], "next", max(int(m["nentries"]), 0) + 1):
            if _u(e["end"]) <= lo or _u(e["start"]) >= hi:
                continue
            out.append(self.entry_line(e, indent))
            if not full:
                continue
            if not e["is_submap"] and _u(e["object"]):
                out += _object_lines(e["object"], False, indent + 4)
            elif e["is_submap"]:
                off = _u(e["offset"])
                out += self.lines(e["submap"], off, off + _u(e["end"]) - _u(e["start"]), full,
                                  indent + 4)
        return out


class ShowMap(gdb.Command):
    """Show a vm_map and its entries, as vm_map_print does.

Usage: showmap [-full] [-near ADDR] MAP

MAP is an expression for a struct vm_map (kernel_map, a task's map, an address).
One line for the map (range, entries, bytes mapped), then one per entry:
  start-end prot/max_prot inheritance behavior wired kernel/user [pinned N]
  object ID+offset [needs_copy] [shared] | submap MAP+offset [use_pmap] | zero-fill
-full   also each entry's object with its shadow chain (indented 4), and the
        entries of submaps (as vm_map_print(map, true)).
-near ADDR  only the entries near ADDR, with their objects (vm_map_print_near).
A map write-locked at the time gets a line saying so: it may be mid-change."""

    def __init__(self):
        super().__init__("showmap", gdb.COMMAND_DATA, gdb.COMPLETE_EXPRESSION)

    def invoke(self, arg, from_tty):
        opts, rest = _options(arg, ("-full",), ("-near",))
        vmap = _pointer(" ".join(rest), "struct vm_map")
        lo, hi, full = 0, MASK64, "-full" in opts
        if "-near" in opts:
            addr, span = _number(opts["-near"]), _u(_sym("vm_map_print_near_span", "vm_map.c"))
            lo = addr - span if addr > span else 0
            hi = addr + span if addr < MASK64 - span else MASK64
            full = True
        _out(_MapPrinter().lines(vmap, lo, hi, full, 0))


class ShowObject(gdb.Command):
    """Show a VM object and its shadow chain, as vm_object_print does.

Usage: showobject [-pages] OBJECT

OBJECT is an expression for a struct vm_object.  One line per object of the
chain, each indented 2 more than the one it shadows from:
  object ID: size S, N refs, N resident[, one mapping][, attached][, paged out]
  [, shadows at OFFSET:]
-pages  also each object's resident pages: offset -> physical address [busy]."""

    def __init__(self):
        super().__init__("showobject", gdb.COMMAND_DATA, gdb.COMPLETE_EXPRESSION)

    def invoke(self, arg, from_tty):
        opts, rest = _options(arg, ("-pages",))
        _out(_object_lines(_pointer(" ".join(rest), "struct vm_object"), "-pages" in opts, 4))


# ---- showpmap, showpte -----------------------------------------------------------------

def _pmap_header(pm):
    p = pm.dereference()
    return ("pmap %s%s: asid %d (gen %d), %d resident, %d wired, harts used 0x%x active 0x%x, "
            "%d nests" % (_p(pm), " (kernel)" if p["is_kernel"] else "", int(p["asid"]),
                          _u(p["asid_gen"]), _u(p["resident"]), _u(p["wired"]),
                          _u(p["harts_used"]), _u(p["harts_active"]), int(p["nnests"])))


class ShowPmap(gdb.Command):
    """Show a pmap and its Sv39 leaf mappings, as pmap_print does.

Usage: showpmap PMAP [START [END]]

PMAP is an expression for a struct pmap (kernel_pmap, a map's ->pmap).
The header (ASID and generation, pages mapped and wired, harts), then one
line per leaf PTE, in address order:
  start-end -> physical rwxuad SIZE [wired]
(a letter for each of R W X U A D set, '-' for each clear; SIZE 4K, 2M or 1G).
Without START and END, the pmap's own half as pmap_print shows it (a user
pmap's lower half, kernel_pmap's kernel_map window); with them, the leaves
that meet [START, END) (END defaults to START + 1: the one leaf of START)."""

    def __init__(self):
        super().__init__("showpmap", gdb.COMMAND_DATA, gdb.COMPLETE_EXPRESSION)

    def invoke(self, arg, from_tty):
        argv = gdb.string_to_argv(arg)
        if not 1 <= len(argv) <= 3:
            raise gdb.GdbError("usage: showpmap PMAP [START [END]]")
        pm = _pointer(argv[0], "struct pmap")
        sv = _Sv39()
        if pm["is_kernel"]:
            lo, hi = sv.kernel_start, sv.kernel_end
        else:
            lo, hi = 0, sv.user_end
        if len(argv) > 1:
            lo = _number(argv[1])
            hi = _number(argv[2]) if len(argv) > 2 else lo + 1
        lines = [_pmap_header(pm)]
        for va, level, e in sv.leaves(_u(pm["root_pa"]), lo, hi):
            lines.append("  0x%016x-0x%016x -> 0x%010x %s %s%s" % (
                va, (va + sv.level_size(level)) & MASK64, sv.pte_pa(e), sv.flags(e),
                sv.size_name(level), " wired" if e & sv.pte_sw_wired else ""))
        _out(lines)


def _leaf_extras(sv, e):
    """A leaf's other bits, as words: wired, managed (software), global, napot, io/nc."""
    words = "".join(w for b, w in ((sv.pte_sw_wired, " wired"), (sv.pte_sw_managed, " managed"),
                                   (sv.pte_g, " global"), (sv.pte_n, " napot")) if e & b)
    pbmt = e & sv.pte_pbmt_mask
    if pbmt:
        words += {sv.pte_pbmt_io: " io", sv.pte_pbmt_nc: " nc"}.get(pbmt, " pbmt?")
    return words


def _walk_lines(sv, root_pa, va):
    """The walk of va from root_pa, a line per level, and the address it reaches."""
    lines, table = [], root_pa
    for level in range(sv.levels - 1, -1, -1):
        i = sv.index(va, level)
        e = sv.table(table)[i]
        head = "  level %d table 0x%010x [%3d] pte 0x%016x" % (level, table, i, e)
        if not e & sv.pte_v:
            lines.append(head + " invalid")
            lines.append("  0x%016x: not mapped" % va)
            return lines
        if not sv.is_leaf(e):
            lines.append(head + " -> table 0x%010x" % sv.pte_pa(e))
            table = sv.pte_pa(e)
            continue
        pa = sv.leaf_pa(e, va, level)
        lines.append(head + " -> page 0x%010x %s %s%s" % (
            pa & ~(sv.level_size(level) - 1), sv.flags(e), sv.size_name(level),
            _leaf_extras(sv, e)))
        lines.append("  0x%016x -> 0x%010x" % (va, pa))
        return lines
    lines.append("  0x%016x: the walk found no leaf" % va)
    return lines


class ShowPte(gdb.Command):
    """Walk a pmap's Sv39 tables for one virtual address.

Usage: showpte PMAP VA

One line per level, from the root: the table's physical address, the
index VA selects in it, the PTE, and where it leads (the next table, or the
page with its access rwxuad, size and software bits: wired, managed;
global, napot, io/nc where set); then VA -> the physical address it
translates to, or "not mapped" where the walk meets an invalid entry."""

    def __init__(self):
        super().__init__("showpte", gdb.COMMAND_DATA, gdb.COMPLETE_EXPRESSION)

    def invoke(self, arg, from_tty):
        argv = gdb.string_to_argv(arg)
        if len(argv) != 2:
            raise gdb.GdbError("usage: showpte PMAP VA")
        pm = _pointer(argv[0], "struct pmap")
        va = _number(argv[1])
        sv = _Sv39()
        lines = ["pmap %s: walk of 0x%016x" % (_p(pm), va)]
        if not sv.canonical(va):
            lines.append("  0x%016x: not canonical (in the sign-extension hole)" % va)
        else:
            lines += _walk_lines(sv, _u(pm["root_pa"]), va)
        _out(lines)


# ---- showvmstat --------------------------------------------------------------------------

def _default_pager_totals():
    """default_pager_stats: dp_stats with the pool's total and free pages."""
    st = _sym("dp_stats", "default_pager.c")
    segs = _sym("dp_segments", "default_pager.c")
    cluster_pages = _array_len(gdb.lookup_type("struct dp_block")["slot"].type)
    tot = {f.name: _u(st[f.name]) for f in st.type.strip_typedefs().fields()}
    tot["total_pages"] = tot["free_pages"] = 0
    for i in range(_array_len(segs)):
        s = segs[i]
        if not s["in_use"]:
            continue
        tot["total_pages"] += _u(s["nclusters"]) * cluster_pages
        if not s["draining"]:
            tot["free_pages"] += _u(s["free_clusters"]) * cluster_pages
    return tot


class ShowVmstat(gdb.Command):
    """Show the page counts, as vm_stat_print does, then the free lists and queues.

Usage: showvmstat

The vm_stat line (free, active, inactive and wired pages; pages paged out
and in; swap used and swap files; swap errors), then:
  free lists: the free blocks of each order of the buddy allocator that
              has any, and the pages they hold (the free count again);
  queue NAME: each paging queue's count and the pages found on its list;
  the pages of RAM, those holding the page records, the reserve only the
  pageout path may take, and the threads waiting for a free page."""

    def __init__(self):
        super().__init__("showvmstat", gdb.COMMAND_DATA, gdb.COMPLETE_NONE)

    def invoke(self, arg, from_tty):
        lines = [_vm_stat_line(), _free_lists_line()] + _queue_lines()
        lines.append("  %d pages of RAM, %d hold the page records; reserve %d pages; %d threads"
                     " waiting for a page" % (_u(_sym("vm_page_ntotal", "vm_page.c")),
                                              _u(_sym("vm_page_nreserved", "vm_page.c")),
                                              _u(_sym("vm_page_nreserve", "vm_page.c")),
                                              _u(_sym("vm_page_nwaiters", "vm_page.c"))))
        _out(lines)


def _vm_stat_line():
    """vm_stat_print's line."""
    queues = _sym("vm_page_queues")
    active = _enum_value("enum vm_page_queue_id", "VM_PAGE_Q_ACTIVE")
    inactive = _enum_value("enum vm_page_queue_id", "VM_PAGE_Q_INACTIVE")
    dp = dict.fromkeys(("pageouts", "pageins", "used_pages", "read_errors", "write_errors",
                        "checksum_errors"), 0)
    if _u(_sym("vm_pager_default")):
        dp = _default_pager_totals()
    return ("vm_stat: free %d active %d inactive %d wired %d pageouts %d pageins %d"
            " swap used %d MiB swap files %d swap errors %d" % (
                _u(_sym("vm_page_nfree", "vm_page.c")), _u(queues[active]["count"]),
                _u(queues[inactive]["count"]), _u(_sym("vm_page_nwired", "vm_page.c")),
                dp["pageouts"], dp["pageins"], (dp["used_pages"] << _Sv39().page_shift) >> 20,
                _u(_sym("sf_stats", "dynamic_pager.c")["files"]),
                dp["read_errors"] + dp["write_errors"] + dp["checksum_errors"]))


def _queue_lines():
    """Each paging queue: its count, and the pages found on its list."""
    queues = _sym("vm_page_queues")
    names = _enum_names("enum vm_page_queue_id", "VM_PAGE_Q_")
    lines = []
    for q in range(_array_len(queues)):
        if names.get(q) in (None, "none", "count"):
            continue
        count = _u(queues[q]["count"])
        listed = sum(1 for _ in _walk_list(queues[q]["head"], "next", count + 1))
        lines.append("  queue %s: %d pages, %d on its list" % (names[q], count, listed))
    return lines


def _enum_value(typename, name):
    for f in gdb.lookup_type(typename).fields():
        if f.name == name:
            return f.enumval
    raise gdb.GdbError("%s has no %s" % (typename, name))


def _free_lists_line():
    """The buddy allocator's free blocks by order, and the pages they hold."""
    lists = _sym("vm_page_free_lists", "vm_page.c")
    nfree = _u(_sym("vm_page_nfree", "vm_page.c"))
    orders, pages = [], 0
    for order in range(_array_len(lists)):
        n = sum(1 for _ in _walk_list(lists[order], "next", nfree + 1))
        if n:
            orders.append("%d: %d" % (order, n))
            pages += n << order
    return "  free lists: %d pages in blocks of order %s" % (pages, ", ".join(orders) or "none")


# ---- showpagers --------------------------------------------------------------------------

class ShowPagers(gdb.Command):
    """Show the default pager's pool and the dynamic pager's swap files.

Usage: showpagers

As default_pager_print: the pool's totals (segments, free and total pages,
pages held; pages out, in and moved by drains), its errors, then one line
per segment (a swap disk "disk:NAME", a swap file "file:swapfileN"):
clusters free, owned, orphaned and bad; pages held, blocks writing to it,
I/O in flight[, draining].  Then the swap files (vm/dynamic_pager.c): how
many there are, made and deleted, and each file with its segment
[, retired: its writes were refused] [, draining]."""

    def __init__(self):
        super().__init__("showpagers", gdb.COMMAND_DATA, gdb.COMPLETE_NONE)

    def invoke(self, arg, from_tty):
        st = _default_pager_totals()
        segs = _sym("dp_segments", "default_pager.c")
        states = {v: k for k, v in _enum_names("enum dp_cluster_state", "DP_CLUSTER_").items()}
        lines = ["default pager: %d segments, %d of %d pages free, %d held; %d out, %d in, "
                 "%d moved" % (st["segments"], st["free_pages"], st["total_pages"],
                               st["used_pages"], st["pageouts"], st["pageins"], st["moved"]),
                 "  errors: %d read (%d tried again), %d write, %d checksum" % (
                     st["read_errors"], st["read_retries"], st["write_errors"],
                     st["checksum_errors"])]
        for i in range(_array_len(segs)):
            s = segs[i]
            if not s["in_use"]:
                continue
            n = _u(s["nclusters"])
            state = _read(_u(s["state"]), n) if n else b""
            count = {k: state.count(bytes([v])) for k, v in states.items()}
            lines.append("  %-20s clusters %d free %d owned %d orphaned %d bad; %d pages, "
                         "%d blocks writing, %d in flight%s" % (
                             _str(s["name"]), count["free"], count["owned"], count["orphaned"],
                             count["bad"], _u(s["used_pages"]), _u(s["refs"]), _u(s["io_busy"]),
                             ", draining" if s["draining"] else ""))
        lines += _swapfile_lines()
        _out(lines)


def _swapfile_lines():
    sf = _sym("sf", "dynamic_pager.c")
    if not _u(sf["store"]):
        return ["swap files: none (no dynamic pager)"]
    st = _sym("sf_stats", "dynamic_pager.c")
    files = _sym("sf_files", "dynamic_pager.c")
    lines = ["swap files: %d of at most %d, %d MiB each; %d made, %d deleted" % (
        _u(st["files"]), _u(sf["max"]), _u(sf["size"]) >> 20, _u(st["created"]),
        _u(st["deleted"]))]
    for i in range(_array_len(files)):
        f = files[i]
        if not f["in_use"]:
            continue
        seg = f["seg"]
        lines.append("  %-20s segment %s%s%s" % (
            _str(f["name"]), _str(seg["name"]) if _u(seg) else "none",
            ", retired" if f["retired"] else "",
            ", draining" if _u(sf["draining"]) == _u(f.address) else ""))
    return lines


# ---- showupls ----------------------------------------------------------------------------

class ShowUpls(gdb.Command):
    """Show the UPLs not yet freed, as upl_print_all does.

Usage: showupls

Newest first, one line per UPL: its address, object, offset of its first
slot, slots, pages it still holds and request flags (UPL_* of vm/vm_upl.h);
then one line per page it holds: the offset in the object -> the page's
physical address."""

    def __init__(self):
        super().__init__("showupls", gdb.COMMAND_DATA, gdb.COMPLETE_NONE)

    def invoke(self, arg, from_tty):
        page_shift = _Sv39().page_shift
        lines = []
        limit = _u(_sym("upl_zone", "vm_upl.c")["items_used"]) + 1
        for upl in _walk_list(_sym("upl_live", "vm_upl.c"), "live_next", limit):
            u = upl.dereference()
            obj = u["object"]
            npages = int(u["npages"])
            lines.append("upl %s: object %d offset 0x%x, %d pages, %d held, flags 0x%x" % (
                _p(upl), _u(obj["id"]) if _u(obj) else 0, _u(u["offset"]), npages,
                int(u["count"]), int(u["flags"]) & 0xffffffff))
            slots = _read(_u(u["pages"]), npages * 8) if npages else b""
            for i, m in enumerate(struct.unpack("<%dQ" % npages, slots)):
                if m:
                    page = gdb.Value(m).cast(gdb.lookup_type("struct vm_page").pointer())
                    lines.append("  0x%x -> page 0x%x" % (_u(u["offset"]) + (i << page_shift),
                                                          _u(page["phys_addr"])))
        _out(lines)


# ---- showthreads -------------------------------------------------------------------------

BACKTRACE_MAX_FRAMES = 32       # as kern/ksyms.c walks
BACKTRACE_MAX_FRAME = 64 * 1024


class _Backtrace:
    """ksyms_backtrace: the frame-pointer walk of the RISC-V psABI (ra at fp-8, the
    caller's fp at fp-16), symbols from the ELF symbol table as .ksyms has them."""

    def __init__(self):
        self.text = (_u(_sym("&_text_start")), _u(_sym("&_text_end")))

    def is_text(self, pc):
        return self.text[0] <= pc < self.text[1]

    @staticmethod
    def fp_ok(fp, floor):
        return fp & 7 == 0 and fp > floor and fp - floor <= BACKTRACE_MAX_FRAME

    @staticmethod
    def word(addr):
        return struct.unpack("<Q", _read(addr, 8))[0]

    def describe(self, pc, within):
        """name+0xoff: the function holding `within`, and pc's offset in it ("?": none)."""
        if not self.is_text(within):
            return "?"
        try:
            s = gdb.execute("info symbol 0x%x" % within, to_string=True)
        except gdb.error:
            return "?"
        if s.startswith("No symbol"):
            return "?"
        name, _, rest = s.partition(" in section")[0].partition(" + ")
        off = int(rest) if rest else 0
        return "%s+0x%x" % (name.strip(), off + (pc - within))

    def frame(self, n, pc):
        return "    #%-2d 0x%016x  %s" % (n, pc, self.describe(pc, pc - 1) if n else
                                          self.describe(pc, pc))

    def lines(self, pc, ra, fp, sp):
        out, n = ["  backtrace:"], 0
        out.append(self.frame(n, pc))
        n += 1
        same = self.describe(ra, ra).split("+")[0] == self.describe(pc, pc).split("+")[0]
        if self.is_text(ra) and not same and self.fp_ok(fp, sp - 1):
            saved = self.word(fp - 8)
            if not self.is_text(saved) and self.fp_ok(saved, fp - 1):
                out.append(self.frame(n, ra))
                n += 1
                fp = saved
            elif saved != ra:
                out.append(self.frame(n, ra))
                n += 1
        while n < BACKTRACE_MAX_FRAMES and self.fp_ok(fp, sp - 1):
            ret, nxt = self.word(fp - 8), self.word(fp - 16)
            if not self.is_text(ret):
                break
            out.append(self.frame(n, ret))
            n += 1
            sp, fp = fp, nxt
        return out


class ShowThreads(gdb.Command):
    """Show every thread, as thread_print_all does.

Usage: showthreads

One line per thread that exists: id, name, state (runnable, running,
sleeping, zombie), the channel it sleeps on (0: none), and the hart running
it; then, for a thread that is not running, where its saved context stopped:
the frame-pointer backtrace, function+offset of each return address."""

    def __init__(self):
        super().__init__("showthreads", gdb.COMMAND_DATA, gdb.COMPLETE_NONE)

    def invoke(self, arg, from_tty):
        threads = _array_read(_sym("threads", "thread.c"))
        names = _sym("thread_state_names", "thread.c")
        states = _enum_names("enum thread_state", "THREAD_")
        bt = _Backtrace()
        lines = []
        for t in threads:
            state = int(t["state"])
            if states.get(state) == "free":
                continue
            on = ", hart %d" % int(t["hart"]["index"]) if _u(t["hart"]) else ""
            word = _str(names[state]) if 0 <= state < _array_len(names) else "?%d" % state
            lines.append("  thread %d %s: %s, channel %s%s" % (
                int(t["id"]), _str(t["name"]), word, _p(t["wchan"]), on))
            ctx = t["ctx"]
            if states.get(state) != "running" and _u(ctx["sp"]):
                lines += bt.lines(_u(ctx["ra"]), _u(ctx["ra"]), _u(ctx["s"][0]), _u(ctx["sp"]))
        _out(lines)


# ---- showiommu ---------------------------------------------------------------------------

def _iotlb_count(hw, pscid=None):
    """iommu_hw_iotlb_count: live IOTLB entries (of pscid, or all)."""
    gens = hw["iotlb_gen"]
    nslots = _array_len(gens)
    n = 0
    for name in ("iotlb", "iotlb64"):
        sets = hw[name]
        for s in range(_array_len(sets)):
            for w in range(_array_len(sets[s])):
                e = sets[s][w]
                gen, ps = int(e["gen"]), int(e["pscid"])
                if gen and gen == int(gens[ps % nslots]) and (pscid is None or ps == pscid):
                    n += 1
    return n


def _cause_name(cause):
    table = _sym("iommu_cause_names", "iommu.c")
    for i in range(_array_len(table)):
        if int(table[i]["cause"]) == cause:
            return _str(table[i]["name"])
    return "?"


def _iommu_mapping_lines(sv, dom):
    """The leaves of a domain's I/O page table, runs merged: iova range -> pa, access."""
    runs = []
    for va, level, e in sv.leaves(_u(dom["root_pa"]), 0, MASK64, sign_extend=False):
        size = sv.level_size(level)
        pa = sv.leaf_pa(e, va, level)
        acc = ("r" if e & sv.pte_r else "-") + ("w" if e & sv.pte_w else "-")
        last = runs[-1] if runs else None
        if last and last[1] == va and last[2] + (last[1] - last[0]) == pa and last[3] == acc:
            last[1] += size
        else:
            runs.append([va, va + size, pa, acc])
    return ["    0x%x-0x%x -> 0x%x %s (%s)" % (lo, hi, pa, acc, _pages(hi - lo, sv))
            for lo, hi, pa, acc in runs]


def _pages(size, sv):
    n = size >> sv.page_shift
    return "1 page" if n == 1 else "%d pages" % n


class ShowIommu(gdb.Command):
    """Show the IOMMU's devices and faults, as iommu_print does, and its mappings.

Usage: showiommu [-mappings] [UNIT]

UNIT is an expression for a struct iommu (default: iommu_unit).  The
unit's line (directory levels and pages, IOTLB entries in use, translations,
IOTLB misses, commands, faults), one line per device (name, PCI id, domain
PSCID and policy, the I/O address limit, pages and table pages mapped,
IOTLB entries, invalidations, ranges awaiting a deferred flush), then the
faults the driver has drained.  iommu_print drains the fault queue first;
this reads it only, and says so when records wait there.
-mappings  then each domain's I/O page table: runs of consecutive I/O
           addresses -> physical address, access r/w, pages."""

    def __init__(self):
        super().__init__("showiommu", gdb.COMMAND_DATA, gdb.COMPLETE_EXPRESSION)

    def invoke(self, arg, from_tty):
        opts, rest = _options(arg, ("-mappings",))
        u = _pointer(" ".join(rest) or "iommu_unit", "struct iommu")
        if not _u(u):
            _out(["iommu: none (iommu=off)"])
            return
        lines = [_iommu_unit_line(u)]
        lines += [_iommu_device_line(u, d) for d in _walk_list(u["devices"], "next", 1 << 16)]
        lines += _iommu_fault_lines(u)
        if "-mappings" in opts:
            sv = _Sv39()
            for dom in _walk_list(u["domains"], "next", 1 << 16):
                lines.append("  domain %d: root 0x%x, %d devices, %d pages mapped" % (
                    int(dom["pscid"]), _u(dom["root_pa"]), int(dom["ndevices"]),
                    _u(dom["stats"]["mapped_pages"])))
                lines += _iommu_mapping_lines(sv, dom)
        _out(lines)


def _iommu_unit_line(u):
    hw = u["hw"]
    hs = hw["stats"]
    return ("iommu: %d-level directory (%d pages), IOTLB %d/%d entries, %d translations "
            "(%d IOTLB misses), %d commands, %d faults (%d lost, %d overflows)" % (
                int(u["ddt_levels"]), _u(u["ddt_pages"]), _iotlb_count(hw),
                _array_len(hw["iotlb"]) * _array_len(hw["iotlb"][0]),
                _u(hs["translations"]), _u(hs["iotlb_misses"]), _u(hs["commands"]),
                _u(hs["faults"]), _u(hs["faults_lost"]), _u(u["overflows"])))


def _iommu_device_line(u, d):
    dom = d["domain"]
    did = int(d["device_id"])
    strict = _enum_value("enum iommu_policy", "IOMMU_STRICT")
    return ("  %-20s id %02x:%02x.%d  domain %d %s, below 0x%x: %d pages mapped, "
            "%d table pages, IOTLB %d, %d invalidations, %d awaiting flush" % (
                _str(d["name"]), did >> 8, (did >> 3) & 0x1f, did & 7, int(dom["pscid"]),
                "strict" if int(dom["policy"]) == strict else "deferred", _u(dom["limit"]),
                _u(dom["stats"]["mapped_pages"]), _u(dom["stats"]["table_pages"]),
                _iotlb_count(u["hw"], int(dom["pscid"])), _u(dom["stats"]["invalidations"]),
                int(dom["nflush"])))


def _iommu_fault_lines(u):
    """The faults drained and kept (the last ones), and whether records wait in the queue."""
    faults = u["faults"]
    seen, keep = _u(u["faults_seen"]), _array_len(faults)
    lines = []
    for i in range(seen - keep if seen > keep else 0, seen):
        f = faults[i % keep]
        lines.append("  fault %d: device 0x%x %s at 0x%x" % (
            i, int(f["device_id"]), _cause_name(int(f["cause"])), _u(f["iova"])))
    head, tail = int(u["fq_head"]), int(u["hw"]["fqt"])
    if head != tail:
        lines.append("  fault records wait in the queue (head %d, tail %d): not drained yet" %
                     (head, tail))
    return lines


for _command in (ShowMap, ShowObject, ShowPmap, ShowPte, ShowVmstat, ShowPagers, ShowUpls,
                 ShowThreads, ShowIommu):
    _command()
