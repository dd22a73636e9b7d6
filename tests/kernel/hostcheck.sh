# hostcheck.sh: the protocol of --host-check scripts, sourced by them.
# The guest prints "HOSTCHECK <name>" on the console and waits for the
# verdict ("ok" or "fail") in SHARE/.hostcheck-<name>, a file published in
# one rename.  The sourcing script defines check NAME (exit status 0 for
# ok; what it prints is the reason) and calls
#   hostcheck_serve TAG SHARE LOG QEMU_PID
# which answers every checkpoint once until QEMU is gone, leaving
# hostcheck_status 1 if a check failed or none was asked for.
hostcheck_status=0

# hostcheck_answer TAG SHARE NAME: run check NAME and publish its verdict.
hostcheck_answer() {
	if why=$(check "$3" 2>&1); then
		verdict=ok
		echo "$1: $3: ok"
	else
		verdict=fail hostcheck_status=1
		echo "$1: $3: FAILED: $why"
	fi
	echo "$verdict" > "$2/.hostcheck-tmp"
	mv "$2/.hostcheck-tmp" "$2/.hostcheck-$3"
}

hostcheck_serve() {
	answered=" "
	while :; do
		alive=yes
		kill -0 "$4" 2>/dev/null || alive=no
		[ -f "$3" ] || break
		for name in $(tr -d '\r' < "$3" | sed -n 's/^HOSTCHECK \([a-z0-9_]*\)$/\1/p'); do
			case $answered in
			*" $name "*) ;;
			*) hostcheck_answer "$1" "$2" "$name"; answered="$answered$name " ;;
			esac
		done
		[ "$alive" = yes ] || break
		sleep 0.1
	done
	[ "$answered" != " " ] || { echo "$1: the guest asked for no check"; hostcheck_status=1; }
}
