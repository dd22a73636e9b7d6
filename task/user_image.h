/*
 * user_image.h: the U-mode programs linked into the image (user/): their
 * text and data submaps (the reference's shared-library example), each
 * task's stack, and the table of programs by name.  Layout:
 * task/task_abi.h.
 */
#ifndef TASK_USER_IMAGE_H
#define TASK_USER_IMAGE_H

#include <stdbool.h>
#include <stdint.h>

#include "vm/vm_map.h"

#define USER_PROGRAMS_MAX	64
#define USER_PROGRAM_NAME_MAX	32

/*
 * user_image_bootstrap: check the image and load its text and data into
 * the submaps every task maps (once; later calls do nothing).
 * => KERN_INVALID_ARGUMENT if the image is malformed, a VM error
 */
kern_return_t user_image_bootstrap(void);
/*
 * user_image_map: lay out a new task's map: the text submap nested at
 * USER_TEXT_BASE (use_pmap), the data submap at USER_DATA_BASE (without:
 * the task's writes go to its own copies), the stack.
 * => a VM error (the caller drops the map)
 */
kern_return_t user_image_map(vm_map_t map);
/* user_image_program: *main = the address of program `name`'s main; false if none. */
bool user_image_program(const char *name, uint64_t *main);
/* user_image_entry: where a task starts (a0 = main, a1 = its argument). */
uint64_t user_image_entry(void);
/* user_image_text_map / user_image_data_map: the submaps (NULL before user_image_bootstrap). */
vm_map_t user_image_text_map(void);
vm_map_t user_image_data_map(void);

#endif
