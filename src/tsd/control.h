/* The master's control socket (tsdctl): a Unix stream socket served from
 * the master's epoll loop without blocking. One request per connection;
 * a client that is slow, silent or sends garbage is cut off on its own. */
#ifndef TSD_CONTROL_H
#define TSD_CONTROL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/control_wire.h"

#define CONTROL_MAX_CLIENTS 8
#define CONTROL_REQUEST_TIMEOUT_NS 2000000000ull   /* to send the request line */
#define CONTROL_WRITE_TIMEOUT_NS 5000000000ull     /* to read the reply */

enum control_client_state { CC_FREE = 0, CC_READING, CC_WAITING, CC_WRITING };

struct control_client {
	enum control_client_state state;
	int fd;
	uint64_t id;
	uint64_t deadline_ns;           /* CC_READING, CC_WRITING: cut off then */
	char in[CONTROL_MAX_REQUEST];
	size_t in_len;
	char *out;
	size_t out_len, out_off;
};

/* A complete, permitted request. Answer now or later with control_reply(id). */
typedef void (*control_request_fn)(void *ctx, uint64_t id, const struct control_request *req);

struct control {
	int listen_fd;                  /* -1: no control socket */
	int epfd;                       /* its own epoll set, watched by the master's */
	char *path;
	uint64_t next_id;
	control_request_fn on_request;
	void *ctx;
	struct control_client clients[CONTROL_MAX_CLIENTS];
};

/* Nothing open; control_open may follow. */
void control_init(struct control *c, control_request_fn on_request, void *ctx);
/* Make the socket at path (mode 0660, group gid; a stale socket nobody
 * answers on is replaced). 0, or -1 with a message. */
int control_open(struct control *c, const char *path, gid_t gid, char *err, size_t errlen);
/* The descriptor for the master's epoll set (-1 when closed). */
int control_poll_fd(const struct control *c);
/* The poll descriptor is ready: accept, read, write, without blocking. */
void control_event(struct control *c, uint64_t now_ns);
/* Cut off the clients past their deadline. */
void control_tick(struct control *c, uint64_t now_ns);
/* Send the reply to client id (gone already: nothing). */
void control_reply(struct control *c, uint64_t id, enum control_code code,
                   const char *body, size_t len, uint64_t now_ns);
/* In a forked child: close its copies of the descriptors, touching
 * nothing the master still uses. */
void control_close_in_child(struct control *c);
/* Close every descriptor; unlink the socket when `unlink_path`. */
void control_close(struct control *c, int unlink_path);

#endif
