/*
 * The capabilities the binary's file grants, raised by the program itself.
 */
#ifndef BREAKER_CAPS_H
#define BREAKER_CAPS_H

/* Effective := permitted. Call first thing in main(); never fails. */
void	caps_raise_permitted(void);

#endif
