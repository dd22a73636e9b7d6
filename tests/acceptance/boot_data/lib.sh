# lib.sh: what the boot_*.sh acceptance scripts share.  Sourced with src,
# build and work set; each boot's console is kept in $work/NAME.log.

fails=0 passes=0
bootfiles="$src/tests/acceptance/boot_data/bootfiles.py"
image="$build/image/Image"

# boot NAME STATUS QEMU-RUN-ARGS...: one boot; it must end with STATUS and,
# for 0, print the suite's summary with no failure.
boot() {
	name=$1 want=$2
	shift 2
	status=0
	timeout 300 "$src/tools/qemu-run.sh" "$@" > "$work/$name.log" 2>&1 || status=$?
	if [ "$status" -ne "$want" ]; then
		echo "FAIL: $name: exit status $status, expected $want"
	elif [ "$want" -eq 0 ] && ! grep -q "^[1-9][0-9]* passed, 0 failed" "$work/$name.log"; then
		echo "FAIL: $name: no clean summary"
	else
		echo "ok: $name"
		passes=$((passes + 1))
		return 0
	fi
	tail -n 40 "$work/$name.log"
	fails=$((fails + 1))
}

# dump_dtb OUT QEMU-OPTIONS...: the device tree QEMU makes for these options.
dump_dtb() {
	out=$1
	shift
	"$src/tools/qemu-run.sh" "$image" "" "$@" -machine dumpdtb="$out" > "$work/dumpdtb.log" 2>&1 ||
		{ cat "$work/dumpdtb.log"; exit 1; }
}

# modified_dtb IN OUT CPUS HOLE SIZE: IN with the cpus of the comma list
# CPUS disabled and [HOLE, HOLE + SIZE) out of RAM (none if SIZE is 0); and
# OUT.pattern, the words the host loads into the hole (boot_test.c checks them).
modified_dtb() {
	dtc -q -I dtb -O dts "$1" > "$work/in.dts"
	"$bootfiles" dts "$work/in.dts" "$work/out.dts" "$3" "$4" "$5"
	dtc -q -p 4096 -I dts -O dtb "$work/out.dts" > "$2"
	[ "$(($5))" -eq 0 ] || "$bootfiles" pattern "$4" "$5" "$2.pattern"
}

# summary SCRIPT: the result line; the status of the script.
summary() {
	echo "$1: $passes passed, $fails failed"
	[ "$fails" -eq 0 ]
}
