/*
 * kern_return.h: the one error type of every VM call, with Mach's values
 * (mach/kern_return.h), so code written against Mach compiles against ours.
 */
#ifndef VM_KERN_RETURN_H
#define VM_KERN_RETURN_H

typedef int kern_return_t;

#define KERN_SUCCESS			0
#define KERN_INVALID_ADDRESS		1	/* address not valid / not mapped */
#define KERN_PROTECTION_FAILURE		2	/* access exceeds the allowed protection */
#define KERN_NO_SPACE			3	/* no room in the address space */
#define KERN_INVALID_ARGUMENT		4	/* a parameter is malformed */
#define KERN_FAILURE			5	/* the operation failed */
#define KERN_RESOURCE_SHORTAGE		6	/* out of memory or another resource */
#define KERN_NO_ACCESS			8	/* bogus access restriction */
#define KERN_MEMORY_FAILURE		9	/* the page could not be obtained */
#define KERN_MEMORY_ERROR		10	/* I/O error on the backing store */
#define KERN_ABORTED			14	/* the operation was aborted */
#define KERN_INVALID_VALUE		18	/* a value is out of range */
#define KERN_NOT_SUPPORTED		46	/* the device or object cannot do this */
#define KERN_OPERATION_TIMED_OUT	49	/* no answer within the time allowed */
#define KERN_NOT_FOUND			56	/* no such file or object */

/* kern_return_name: "KERN_NO_SPACE" etc., for messages and golden files. */
const char *kern_return_name(kern_return_t kr);

#endif
