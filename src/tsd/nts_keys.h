/* The NTS master keys: made (and rotated) by the master, read by every
 * worker through a shared mapping made before the first fork, and kept in
 * server.nts.key_file for servers that share them. */
#ifndef TSD_NTS_KEYS_H
#define TSD_NTS_KEYS_H

#include <stddef.h>
#include <stdint.h>
#include "common/conf.h"
#include "common/nts_cookie.h"

struct nts_keys_shared;

/* Master, once at start: the mapping (MAP_SHARED, anonymous). NULL on failure. */
struct nts_keys_shared *nts_keys_create(void);
void nts_keys_destroy(struct nts_keys_shared *s);

/* Master: the first keys for cfg: from key_file when it exists (needed
 * when rotate = 0), else a fresh random key (written to key_file when
 * rotating). 0, or -1 with a message. Also used on reload: a follower
 * (rotate = 0) re-reads key_file, a rotating server keeps its keys. */
int nts_keys_load(struct nts_keys_shared *s, const struct conf_nts *cfg, uint64_t now_ns,
                  char *err, size_t errlen);
/* Master, every tick: rotate when due (a new current key, the oldest one
 * dropped), and rewrite key_file; or, following (rotate = 0 with
 * key_file), take the keys from key_file when it changed. */
void nts_keys_tick(struct nts_keys_shared *s, const struct conf_nts *cfg, uint64_t now_ns);

/* Worker: its own ready-to-use copy, refreshed when the master changed
 * the keys (a cheap check of a sequence number). */
struct nts_keys_view {
	uint32_t seq;
	struct nts_keyring ring;
};
/* 0 when view holds keys (refreshed if needed), -1 when there are none. */
int nts_keys_refresh(const struct nts_keys_shared *s, struct nts_keys_view *view);

/* The key file format, for tests: "# comment" lines, then one line per key,
 * newest first: 8 hex digits of id, a space, 64 hex digits of key. */
int nts_keys_read_file(const char *path, struct nts_master_key *keys, size_t *n,
                       char *err, size_t errlen);
int nts_keys_write_file(const char *path, const struct nts_master_key *keys, size_t n,
                        char *err, size_t errlen);

#endif
