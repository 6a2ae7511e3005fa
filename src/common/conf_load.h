/* One configuration load in progress and the checks its parts share. */
#ifndef TSD_COMMON_CONF_LOAD_H
#define TSD_COMMON_CONF_LOAD_H

#include <stddef.h>
#include <libconfig.h>
#include "common/conf.h"

/* Room for a setting's full name in a message. */
#define PATH_TEXT 128

/* Where errors go and how many there were. */
struct loadctx {
	struct conf *cfg;
	struct conf_errors *errs;
	const char *file;
	int failed;
};

/* Append an error at the line of s (NULL: no line) and count it. */
void conf_fail(struct loadctx *c, const config_setting_t *s, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* "server.udp.port", "client.servers[2]"; the root is "". */
void conf_path_of(const config_setting_t *s, char *buf, size_t len);

/* "an integer", "a group", ...: what a setting of that type is. */
const char *conf_type_text(int type);

/* The string itself (owned by libconfig), or NULL after an error. */
const char *conf_text_of(struct loadctx *c, const config_setting_t *s);

/* Replace *slot with a copy of text; -1 (and an error) when out of memory. */
int conf_copy_text(struct loadctx *c, const config_setting_t *s,
                     char **slot, const char *text);

/* NULL if text is "host", "host:port", "[v6]:port" or an IPv6 literal,
 * else what it should be. */
const char *conf_check_server(const char *text);

/* A duration: a finite number of seconds in (0, max_s]; -1 after an error. */
int conf_get_seconds(struct loadctx *c, const config_setting_t *s, double max_s,
                     double *out);

#endif
