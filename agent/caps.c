/*
 * File capabilities without the effective bit.
 *
 * The Debian package gives /usr/bin/breaker its capabilities as permitted
 * only ("cap_dac_read_search,cap_kill,cap_sys_ptrace+p"), not "+ep". With
 * the effective bit the kernel refuses to run a binary at all (execve
 * fails with EPERM, the hook sees exit 126) when the caller's bounding set
 * lacks any of them, which is the case in a container with the default
 * capability set (CAP_KILL, but neither CAP_DAC_READ_SEARCH nor
 * CAP_SYS_PTRACE). Without it, the kernel grants what the bounding set
 * allows and the program raises that itself, here: in a default container
 * breaker still runs and can still stop a root-owned `sudo awf`.
 */
#include <sys/syscall.h>

#include <linux/capability.h>
#include <string.h>
#include <unistd.h>

#include "caps.h"

void
caps_raise_permitted(void)
{
	struct __user_cap_header_struct	hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct	data[2];

	/* valgrind does not know capget fills both words */
	memset(data, 0, sizeof data);
	if (syscall(SYS_capget, &hdr, data) == -1)
		return;
	if (data[0].effective == data[0].permitted &&
	    data[1].effective == data[1].permitted)
		return;
	data[0].effective = data[0].permitted;
	data[1].effective = data[1].permitted;
	/* Raising permitted capabilities cannot fail; if it did, breaker
	 * runs without them and reports what it cannot do. */
	(void)syscall(SYS_capset, &hdr, data);
}
