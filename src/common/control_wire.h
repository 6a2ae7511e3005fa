/* The control protocol between tsd's master and tsdctl (doc/control.md):
 * one request line, one reply of a header line and a counted body. */
#ifndef TSD_COMMON_CONTROL_WIRE_H
#define TSD_COMMON_CONTROL_WIRE_H

#include <stddef.h>

#define CONTROL_MAGIC "TSDCTL"
#define CONTROL_VERSION 1
#define CONTROL_MAX_REQUEST 128         /* bytes, the newline included */
#define CONTROL_MAX_HEADER 64
#define CONTROL_MAX_BODY (1024 * 1024)

enum control_command {
	CONTROL_STATUS = 0,
	CONTROL_SOURCES,
	CONTROL_STATS,
	CONTROL_RELOAD,
	CONTROL_N_COMMANDS
};

/* A reply's outcome. */
enum control_code {
	CONTROL_OK = 0,
	CONTROL_FAILED = 1,             /* understood, and it did not work */
	CONTROL_BAD_REQUEST = 2,
	CONTROL_BUSY = 3,               /* too many clients at once */
	CONTROL_DENIED = 4,             /* neither the socket's owner nor its group */
};

struct control_request {
	enum control_command command;
	int json;
};

struct control_header {
	int version;
	enum control_code code;
	size_t body_len;
};

/* "status", "sources", ...; NULL for a bad value. */
const char *control_command_name(enum control_command c);
/* The command named `name`, or -1. */
int control_command_find(const char *name);

/* Write the request line into buf; its length, or -1 if it does not fit. */
int control_format_request(char *buf, size_t len, const struct control_request *req);
/* Read a request from the len bytes received so far: 0 and *req when the
 * line is complete and good, 1 when more bytes may complete it, -1 when it
 * is bad (why: a static message). */
int control_parse_request(const char *buf, size_t len, struct control_request *req,
                          const char **why);

/* Write the reply header; its length, or -1. */
int control_format_header(char *buf, size_t len, enum control_code code, size_t body_len);
/* Read a reply header: 0 with *h and *header_len (the bytes before the
 * body), 1 when incomplete, -1 when bad. */
int control_parse_header(const char *buf, size_t len, struct control_header *h,
                         size_t *header_len);

#endif
