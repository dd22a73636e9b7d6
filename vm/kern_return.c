/*
 * kern_return.c: names of the kern_return_t values.
 */
#include "vm/kern_return.h"

const char *kern_return_name(kern_return_t kr)
{
	switch (kr) {
	case KERN_SUCCESS: return "KERN_SUCCESS";
	case KERN_INVALID_ADDRESS: return "KERN_INVALID_ADDRESS";
	case KERN_PROTECTION_FAILURE: return "KERN_PROTECTION_FAILURE";
	case KERN_NO_SPACE: return "KERN_NO_SPACE";
	case KERN_INVALID_ARGUMENT: return "KERN_INVALID_ARGUMENT";
	case KERN_FAILURE: return "KERN_FAILURE";
	case KERN_RESOURCE_SHORTAGE: return "KERN_RESOURCE_SHORTAGE";
	case KERN_NO_ACCESS: return "KERN_NO_ACCESS";
	case KERN_MEMORY_FAILURE: return "KERN_MEMORY_FAILURE";
	case KERN_MEMORY_ERROR: return "KERN_MEMORY_ERROR";
	case KERN_ABORTED: return "KERN_ABORTED";
	case KERN_INVALID_VALUE: return "KERN_INVALID_VALUE";
	case KERN_NOT_SUPPORTED: return "KERN_NOT_SUPPORTED";
	case KERN_OPERATION_TIMED_OUT: return "KERN_OPERATION_TIMED_OUT";
	case KERN_NOT_FOUND: return "KERN_NOT_FOUND";
	default: return "KERN_(unknown)";
	}
}
