#!/bin/sh
# 9p_host.sh WORK LOG QEMU_PID: the host side of the 9p suite.  Each time
# the guest prints "HOSTCHECK <name>" it looks at the shared directory
# WORK/share as the host sees it and answers in WORK/share/.hostcheck-<name>
# ("ok" or "fail"); once QEMU is gone, nothing may be left in the share.
set -u
. "$(dirname "$0")/hostcheck.sh"
work=$1 log=$2 qemu_pid=$3
share=$work/share

# lines N: what the guest writes to dir/a.txt, N lines of 15 bytes.
lines() {
	awk -v n="$1" 'BEGIN { for (i = 0; i < n; i++) printf "9p line %06d\n", i }'
}

same() {	# same FILE: FILE holds exactly standard input
	[ -f "$1" ] || { echo "$1 is missing"; return 1; }
	cmp -s - "$1" || { echo "$1 differs ($(wc -c < "$1") bytes)"; return 1; }
}

check() {
	case $1 in
	created)
		lines 20000 | same "$share/dir/a.txt" &&
		lines 100 | same "$share/dir/b.txt" &&
		echo "hello from the guest" | same "$share/top.txt" ;;
	truncated)
		lines 1000 | same "$share/dir/a.txt" ;;
	unlinked)
		left=$(ls -A "$share" | grep -v '^\.hostcheck') || true
		[ -z "$left" ] || { echo "still there: $left"; return 1; } ;;
	*)
		echo "unknown checkpoint"; return 1 ;;
	esac
}

hostcheck_serve 9p_host "$share" "$log" "$qemu_pid"
status=$hostcheck_status
left=$(ls -A "$share")
if [ -n "$left" ]; then
	echo "9p_host: files left in the share after the run: $left"
	status=1
fi
exit $status
