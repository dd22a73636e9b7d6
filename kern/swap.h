/*
 * swap.h: setting up the backing store and the pageout daemon at boot
 * (see swap.c for the command-line parameters).
 */
#ifndef KERN_SWAP_H
#define KERN_SWAP_H

/* swap_init: after the drivers have probed; returns the segments added. */
int swap_init(void);

#endif
