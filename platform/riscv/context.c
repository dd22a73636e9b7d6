#include "platform/riscv/context.h"

extern char context_trampoline[];

void context_init(struct thread_context *to, uint64_t stack_top, void (*start)(void))
{
	*to = (struct thread_context){ 0 };
	to->ra = (uint64_t)context_trampoline;
	to->sp = stack_top;
	to->s[1] = (uint64_t)start;
}
