#!/bin/sh
# 9p_host.sh WORK LOG QEMU_PID: the host side of the 9p suite.  Each time
# the guest prints "HOSTCHECK <name>" it looks at the shared directory
# WORK/share as the host sees it and answers in WORK/share/.hostcheck-<name>
# ("ok" or "fail"); once QEMU is gone, nothing may be left in the share.
set -u
work=$1 log=$2 qemu_pid=$3
share=$work/share
status=0 answered=" "

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

answer() {	# answer NAME: run the check, publish the verdict in one rename
	if why=$(check "$1" 2>&1); then
		verdict=ok
		echo "9p_host: $1: ok"
	else
		verdict=fail status=1
		echo "9p_host: $1: FAILED: $why"
	fi
	echo "$verdict" > "$share/.hostcheck-tmp"
	mv "$share/.hostcheck-tmp" "$share/.hostcheck-$1"
}

while :; do
	alive=yes
	kill -0 "$qemu_pid" 2>/dev/null || alive=no
	for name in $(tr -d '\r' < "$log" | sed -n 's/^HOSTCHECK \([a-z0-9_]*\)$/\1/p'); do
		case $answered in
		*" $name "*) ;;
		*) answer "$name"; answered="$answered$name " ;;
		esac
	done
	[ "$alive" = yes ] || break
	sleep 0.1
done
left=$(ls -A "$share")
if [ -n "$left" ]; then
	echo "9p_host: files left in the share after the run: $left"
	status=1
fi
[ "$answered" != " " ] || { echo "9p_host: the guest asked for no check"; status=1; }
exit $status
