#!/bin/sh
# gen-ksyms.sh NM IMAGE OUT.S: write the symbol table of IMAGE's text symbols
# as assembly for the second link (kern/ksyms.c reads it).
set -eu
nm=$1 image=$2 out=$3
"$nm" -n --defined-only "$image" | awk '
	$2 ~ /^[Tt]$/ && $3 !~ /^(\.L|\$)/ { addr[n] = $1; name[n] = $3; n++ }
	END {
		print "\t.section .ksyms, \"a\""
		print "\t.balign 8"
		print "\t.globl ksyms_table_count, ksyms_table, ksyms_names"
		print "ksyms_table_count:\t.dword " n
		print "ksyms_table:"
		off = 0
		for (i = 0; i < n; i++) {
			print "\t.dword 0x" addr[i] ", " off
			off += length(name[i]) + 1
		}
		print "ksyms_names:"
		for (i = 0; i < n; i++)
			print "\t.asciz \"" name[i] "\""
	}' > "$out.tmp"
mv "$out.tmp" "$out"
