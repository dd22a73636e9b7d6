/*
 * vm_ws.c: working-set detection (see vm_ws.h).
 */
#include "kern/kernel.h"
#include "vm/vm_ws.h"
#include "vm/vm_zone.h"

static struct zone vm_ws_zone = ZONE_INIT("vm_ws", sizeof(struct vm_ws));

#define VM_WS_LINE_SIZE	ptoa(VM_WS_LINE_PAGES)

vm_ws_t vm_ws_create(void)
{
	vm_ws_t ws = zalloc(&vm_ws_zone);

	if (ws)
		spin_init(&ws->lock, "vm_ws");
	return ws;
}

void vm_ws_destroy(vm_ws_t ws)
{
	if (ws)
		zfree(&vm_ws_zone, ws);
}

/* ws_slot_locked: the slot line va (line-aligned) hashes to. */
static struct vm_ws_line *ws_slot_locked(vm_ws_t ws, vm_offset_t va)
{
	LOCK_ASSERT(spin_held(&ws->lock), "ws_slot_locked: profile %p not locked", (void *)ws);

	return &ws->line[(va / VM_WS_LINE_SIZE) % VM_WS_LINES];
}

/* ws_merge_locked: bits join line va's record (replacing another line in its slot). */
static void ws_merge_locked(vm_ws_t ws, vm_offset_t va, uint32_t bits)
{
	struct vm_ws_line *l = ws_slot_locked(ws, va);

	LOCK_ASSERT(spin_held(&ws->lock), "ws_merge_locked: profile %p not locked", (void *)ws);
	if (l->va != va)
		*l = (struct vm_ws_line){ .va = va, .pages = 0 };
	l->pages |= bits;
}

vm_behavior_t vm_ws_fault(vm_ws_t ws, vm_offset_t va, vm_behavior_t behavior)
{
	vm_offset_t line = va & ~(VM_WS_LINE_SIZE - 1);
	uint32_t bit = 1u << atop(va - line), others;
	struct vm_ws_line *l;

	if (line == 0)
		return behavior;	/* 0 marks an empty slot: the first line is not profiled */
	spin_lock(&ws->lock);
	l = ws_slot_locked(ws, line);
	others = l->va == line ? l->pages & ~bit : 0;
	ws_merge_locked(ws, line, bit);
	if (others)
		ws->widened++;
	spin_unlock(&ws->lock);
	return others ? VM_BEHAVIOR_DEFAULT : behavior;
}

int vm_ws_export(vm_ws_t ws, struct vm_ws_line *out, int max)
{
	int n = 0;

	spin_lock(&ws->lock);
	for (int i = 0; i < VM_WS_LINES && n < max; i++)
		if (ws->line[i].va)
			out[n++] = ws->line[i];
	spin_unlock(&ws->lock);
	return n;
}

void vm_ws_import(vm_ws_t ws, const struct vm_ws_line *in, int n)
{
	spin_lock(&ws->lock);
	for (int i = 0; i < n; i++)
		if (in[i].va && !(in[i].va & (VM_WS_LINE_SIZE - 1)))
			ws_merge_locked(ws, in[i].va, in[i].pages);
	spin_unlock(&ws->lock);
}
