#!/bin/sh
# swapfile_host.sh WORK LOG QEMU_PID: the host side of the swapfile suite.
# The guest keeps its swap files in WORK/swap/swap.  Each time it prints
# "HOSTCHECK <name>" this script acts or looks, and answers in
# WORK/swap/.hostcheck-<name> ("ok" or "fail"):
#   files_N  exactly N files swapfile<k>, each of the suite's file size
#   lock     make the directory refuse new files (immutable, or read-only
#            for a non-root user; failing both, a plain file takes its
#            place), and prove it with a probe
#   unlock   undo lock
#   truncate cut every swap file to half its size, as a host process might
# Once QEMU is gone, no swap file may be left.
set -u
. "$(dirname "$0")/hostcheck.sh"
work=$1 log=$2 qemu_pid=$3
share=$work/swap
dir=$share/swap
file_bytes=16777216
moved=no

files() {	# files N: exactly N swap files of file_bytes each
	n=0
	for f in "$dir"/swapfile*; do
		[ -e "$f" ] || continue
		n=$((n + 1))
		size=$(stat -c %s "$f")
		[ "$size" = "$file_bytes" ] || { echo "$f has $size bytes"; return 1; }
	done
	[ "$n" = "$1" ] || { echo "$n swap files, the guest counts $1: $(ls "$dir")"; return 1; }
}

probe_refused() {
	if touch "$dir/.probe" 2>/dev/null; then
		rm -f "$dir/.probe"
		return 1
	fi
}

lock() {
	chmod a-w "$dir"
	chattr +i "$dir" 2>/dev/null
	probe_refused && return 0
	mv "$dir" "$dir.locked" && touch "$dir" && moved=yes
	probe_refused || { echo "cannot make $dir refuse files"; return 1; }
}

unlock() {
	if [ $moved = yes ]; then
		rm -f "$dir" && mv "$dir.locked" "$dir" && moved=no
	fi
	chattr -i "$dir" 2>/dev/null
	chmod u+w "$dir"
	! probe_refused || { echo "$dir still refuses files"; return 1; }
}
trap 'unlock > /dev/null 2>&1' EXIT

truncate_all() {
	n=0
	for f in "$dir"/swapfile*; do
		[ -e "$f" ] || continue
		truncate -s $((file_bytes / 2)) "$f" || return 1
		n=$((n + 1))
	done
	[ $n -gt 0 ] || { echo "no swap file to truncate"; return 1; }
}

check() {
	case $1 in
	files_*) files "${1#files_}" ;;
	lock) lock ;;
	unlock) unlock ;;
	truncate) truncate_all ;;
	*) echo "unknown checkpoint"; return 1 ;;
	esac
}

hostcheck_serve swapfile_host "$share" "$log" "$qemu_pid"
status=$hostcheck_status
unlock > /dev/null 2>&1
left=$(ls "$dir" 2>/dev/null | grep '^swapfile') || true
if [ -n "$left" ]; then
	echo "swapfile_host: swap files left after the run: $left"
	status=1
fi
exit $status
