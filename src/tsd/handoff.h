/* Passing accepted connections from the master to a worker (SCM_RIGHTS over
 * a SOCK_SEQPACKET socketpair), for dispatch = "handoff". */
#ifndef TSD_HANDOFF_H
#define TSD_HANDOFF_H

/* sv[0] stays in the master, sv[1] goes to the worker. 0 or -1 (errno). */
int handoff_pair(int sv[2]);
/* Send one descriptor without blocking. 0, or -1 with errno (EAGAIN when
 * the worker is behind). The caller still owns and closes fd. */
int handoff_send(int sock, int fd);
/* Receive one descriptor into *fd: returns 1, 0 when the master closed its
 * end, or -1 with errno (EAGAIN when nothing is waiting). A message whose
 * descriptor was lost (the worker is out of descriptors) is -1 with EMFILE. */
int handoff_recv(int sock, int *fd);

#endif
