/* The parameter table's expected results (vm_params.golden), built into the image. */
	.section .rodata
	.globl vm_params_golden, vm_params_golden_end
vm_params_golden:
	.incbin "vm_params.golden"
vm_params_golden_end:
	.byte 0
