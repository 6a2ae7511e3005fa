/* Refusing a port another process holds, before tsd binds it. */
#ifndef TSD_PORTCHECK_H
#define TSD_PORTCHECK_H

#include <stddef.h>
#include "common/conf.h"

/* Each TCP port (and the UDP and NTS-KE ports, when enabled) of cfg on each listen address
 * that `held` (the running generation's configuration, NULL at start) does
 * not already hold: bound once without SO_REUSEPORT, which fails when any
 * other socket has it. tsd's own SO_REUSEPORT sockets would otherwise join
 * another process's (another tsd, a chronyd), and the kernel would split
 * the clients between them. Returns 0, or -1 with err naming the address,
 * the port and the FILE:LINE of the setting. */
int portcheck_free(const struct conf *cfg, const struct conf *held, char *err, size_t errlen);

#endif
