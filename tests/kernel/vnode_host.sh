#!/bin/sh
# vnode_host.sh WORK LOG QEMU_PID: the host side of the vnode_pager suite.
# Each time the guest prints "HOSTCHECK <name>" it looks at the shared
# directory WORK/share as the host sees it (or changes it) and answers in
# WORK/share/.hostcheck-<name>; once QEMU is gone, nothing may be left in
# the share.
set -u
. "$(dirname "$0")/hostcheck.sh"
work=$1 log=$2 qemu_pid=$3
share=$work/share

same() {	# same A B: files A and B hold the same bytes
	[ -f "$1" ] && [ -f "$2" ] || { echo "$1 or $2 is missing"; return 1; }
	cmp "$1" "$2" || return 1
}

check() {
	case $1 in
	vnode_synced)	# stores made through a shared mapping, then vm_msync
		same "$share/vn-sync" "$share/vn-sync.expected" ;;
	vnode_private)	# stores made through a private mapping: the file unchanged
		same "$share/vn-private" "$share/vn-private.expected" ;;
	vnode_remove)	# the guest has the file mapped
		rm "$share/vn-removed" ;;
	*)
		echo "unknown checkpoint"; return 1 ;;
	esac
}

hostcheck_serve vnode_host "$share" "$log" "$qemu_pid"
status=$hostcheck_status
left=$(ls -A "$share" | grep -v '^\.hostcheck') || true
if [ -n "$left" ]; then
	echo "vnode_host: files left in the share after the run: $left"
	status=1
fi
exit $status
