/* Extended frames on a native TCP connection (doc/protocol.md): an NTP
 * packet with extension fields, that is NTS-protected NTP over tsd's TCP
 * protocol. */
#ifndef TSD_CONN_EXT_H
#define TSD_CONN_EXT_H

#include <stddef.h>
#include <stdint.h>

#include "tsd/conn.h"

/* Answer the frame at in (size bytes, header included, complete): an NTS
 * request gets a framed authenticated reply or NTS NAK; a frame that is not
 * NTS, or any frame when NTS is off, a plain 48-byte reply. 0, or -1 when
 * the connection must close after the replies before it (a bad request, a
 * forged or malformed NTS request, a refused clock: each counted). */
int conn_ext_answer(struct conn *c, const struct conn_env *env, const uint8_t *in, size_t size,
                    tsd_time_ns t2_ns);

#endif
