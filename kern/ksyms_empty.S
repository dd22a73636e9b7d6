/* The symbol table of the first link: empty (see tools/gen-ksyms.sh). */
	.section .ksyms, "a"
	.balign 8
	.globl ksyms_table_count, ksyms_table, ksyms_names
ksyms_table_count:	.dword 0
ksyms_table:
ksyms_names:		.byte 0
