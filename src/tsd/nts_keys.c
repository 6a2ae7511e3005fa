/* NTS master keys: the master's rotation, the workers' copies (a seqlock
 * over a shared mapping), and the key file. */
#include "tsd/nts_keys.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"

#define READ_TRIES 16

struct nts_keys_shared {
	uint32_t seq;                   /* odd while the master writes */
	uint32_t n;
	struct nts_master_key keys[NTS_KEYRING_SIZE];
	uint64_t next_rotate_ns;        /* the master's own, 0: never */
	/* A follower's view of key_file when it last read it. */
	ino_t file_ino;
	struct timespec file_mtime;
};

struct nts_keys_shared *nts_keys_create(void)
{
	void *p = mmap(NULL, sizeof(struct nts_keys_shared), PROT_READ | PROT_WRITE,
	               MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	/* The nonces' read-ahead page too, before any worker is forked. */
	nts_random_init();
	return p == MAP_FAILED ? NULL : p;
}

void nts_keys_destroy(struct nts_keys_shared *s)
{
	if (s != NULL) {
		explicit_bzero(s, sizeof(*s));
		munmap(s, sizeof(*s));
	}
}

static void publish(struct nts_keys_shared *s, const struct nts_master_key *keys, size_t n)
{
	__atomic_add_fetch(&s->seq, 1, __ATOMIC_ACQ_REL);
	memcpy(s->keys, keys, n * sizeof(*keys));
	s->n = (uint32_t)n;
	__atomic_add_fetch(&s->seq, 1, __ATOMIC_RELEASE);
}

int nts_keys_refresh(const struct nts_keys_shared *s, struct nts_keys_view *view)
{
	struct nts_master_key keys[NTS_KEYRING_SIZE];
	uint32_t before, after, n;
	int i;

	for (i = 0; i < READ_TRIES; i++) {
		before = __atomic_load_n(&s->seq, __ATOMIC_ACQUIRE);
		if (before == view->seq && before != 0)
			return 0;
		if (before & 1)
			continue;
		n = s->n;
		if (n > NTS_KEYRING_SIZE)
			n = NTS_KEYRING_SIZE;
		memcpy(keys, s->keys, sizeof(keys));
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		after = __atomic_load_n(&s->seq, __ATOMIC_RELAXED);
		if (before != after || n == 0)
			continue;
		nts_keyring_init(&view->ring, keys, n);
		view->seq = before;
		explicit_bzero(keys, sizeof(keys));
		return 0;
	}
	return view->seq != 0 ? 0 : -1;
}

static int hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int parse_hex(const char *text, uint8_t *out, size_t n)
{
	size_t i;
	int hi, lo;

	for (i = 0; i < n; i++) {
		hi = hex_digit(text[2 * i]);
		lo = hex_digit(text[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

/* "IIIIIIII KKKK...K" (8 and 64 hex digits). */
static int parse_key_line(const char *line, struct nts_master_key *k)
{
	uint8_t id[4];

	if (strlen(line) != 8 + 1 + 2 * NTS_AEAD_KEY_SIZE || line[8] != ' ')
		return -1;
	if (parse_hex(line, id, 4) != 0 || parse_hex(line + 9, k->key, NTS_AEAD_KEY_SIZE) != 0)
		return -1;
	k->id = (uint32_t)id[0] << 24 | (uint32_t)id[1] << 16 | (uint32_t)id[2] << 8 | id[3];
	return 0;
}

int nts_keys_read_file(const char *path, struct nts_master_key *keys, size_t *n,
                       char *err, size_t errlen)
{
	char line[256];
	FILE *fp = fopen(path, "re");
	int lineno = 0, rc = 0;

	*n = 0;
	if (fp == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (rc == 0 && fgets(line, sizeof(line), fp) != NULL) {
		lineno++;
		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		if (*n == NTS_KEYRING_SIZE || parse_key_line(line, &keys[*n]) != 0) {
			snprintf(err, errlen, "%s:%d: not a key line (or more than %d keys)", path,
			         lineno, NTS_KEYRING_SIZE);
			rc = -1;
		} else {
			(*n)++;
		}
	}
	fclose(fp);
	explicit_bzero(line, sizeof(line));
	if (rc == 0 && *n == 0) {
		snprintf(err, errlen, "%s: no keys", path);
		rc = -1;
	}
	return rc;
}

static int write_keys(int fd, const struct nts_master_key *keys, size_t n)
{
	char line[8 + 1 + 2 * NTS_AEAD_KEY_SIZE + 2];
	size_t i, j;
	int len, rc = 0;

	if (dprintf(fd, "# tsd NTS master keys, newest first: id key\n") < 0)
		return -1;
	for (i = 0; i < n && rc == 0; i++) {
		len = snprintf(line, sizeof(line), "%08x ", (unsigned)keys[i].id);
		for (j = 0; j < NTS_AEAD_KEY_SIZE; j++)
			len += snprintf(line + len, sizeof(line) - (size_t)len, "%02x", keys[i].key[j]);
		line[len++] = '\n';
		if (write(fd, line, (size_t)len) != len)
			rc = -1;
	}
	explicit_bzero(line, sizeof(line));
	return rc;
}

/* A temporary file beside it, synced, renamed over it: readers see the old
 * keys or the new ones, never half. */
int nts_keys_write_file(const char *path, const struct nts_master_key *keys, size_t n,
                        char *err, size_t errlen)
{
	char tmp[4096];
	int fd;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid()) >= sizeof(tmp)) {
		snprintf(err, errlen, "%s: path too long", path);
		return -1;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		return -1;
	}
	if (fchmod(fd, 0600) != 0 || write_keys(fd, keys, n) != 0 || fsync(fd) != 0) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		close(fd);
		unlink(tmp);
		return -1;
	}
	close(fd);
	if (rename(tmp, path) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* A new key whose id is none of the n others'. */
static int make_key(struct nts_master_key *k, const struct nts_master_key *others, size_t n)
{
	size_t i;

	for (;;) {
		if (nts_random(k, sizeof(*k)) != 0)
			return -1;
		for (i = 0; i < n && others[i].id != k->id; i++)
			;
		if (i == n)
			return 0;
	}
}

static int rotating(const struct conf_nts *cfg)
{
	return cfg->rotate > 0.0;
}

static void schedule(struct nts_keys_shared *s, const struct conf_nts *cfg, uint64_t now_ns)
{
	s->next_rotate_ns = rotating(cfg) ? now_ns + (uint64_t)(cfg->rotate * 1e9) : 0;
}

/* Shift the ring: a new current key, the oldest dropped. */
static int rotate(struct nts_keys_shared *s, const struct conf_nts *cfg, char *err, size_t errlen)
{
	struct nts_master_key keys[NTS_KEYRING_SIZE];
	size_t n = s->n < NTS_KEYRING_SIZE ? s->n + 1 : NTS_KEYRING_SIZE;
	int rc = 0;

	memcpy(keys + 1, s->keys, (n - 1) * sizeof(*keys));
	if (make_key(&keys[0], keys + 1, n - 1) != 0) {
		snprintf(err, errlen, "no random bytes for a new NTS master key");
		return -1;
	}
	if (cfg->key_file != NULL && cfg->key_file[0] != '\0')
		rc = nts_keys_write_file(cfg->key_file, keys, n, err, errlen);
	/* A key file that cannot be written still leaves this server working. */
	publish(s, keys, n);
	explicit_bzero(keys, sizeof(keys));
	return rc;
}

/* Whether path is another file than the one last read (the rotating
 * server renames a new one over it), and remember it. */
static int file_changed(struct nts_keys_shared *s, const char *path)
{
	struct stat st;

	if (stat(path, &st) != 0)
		return 0;
	if (st.st_ino == s->file_ino && st.st_mtim.tv_sec == s->file_mtime.tv_sec &&
	    st.st_mtim.tv_nsec == s->file_mtime.tv_nsec)
		return 0;
	s->file_ino = st.st_ino;
	s->file_mtime = st.st_mtim;
	return 1;
}

/* A follower (rotate = 0) takes the keys the rotating server wrote as soon
 * as the file changes: a stat on every tick, a read when it changed. A file
 * that does not read keeps the keys in force. */
static void follow(struct nts_keys_shared *s, const char *path)
{
	struct nts_master_key keys[NTS_KEYRING_SIZE];
	char err[256];
	size_t n = 0;

	if (!file_changed(s, path))
		return;
	if (nts_keys_read_file(path, keys, &n, err, sizeof(err)) != 0) {
		log_err("NTS: %s changed but the keys in force stay: %s", path, err);
		return;
	}
	publish(s, keys, n);
	explicit_bzero(keys, sizeof(keys));
	log_info("NTS: took the cookie master keys rotated into %s", path);
}

int nts_keys_load(struct nts_keys_shared *s, const struct conf_nts *cfg, uint64_t now_ns,
                  char *err, size_t errlen)
{
	struct nts_master_key keys[NTS_KEYRING_SIZE];
	int has_file = cfg->key_file != NULL && cfg->key_file[0] != '\0';
	int missing = has_file && access(cfg->key_file, F_OK) != 0 && errno == ENOENT;
	size_t n = 0;
	int rc;

	if (has_file && !missing) {
		(void)file_changed(s, cfg->key_file);
		if (nts_keys_read_file(cfg->key_file, keys, &n, err, errlen) != 0)
			return -1;
		publish(s, keys, n);
		explicit_bzero(keys, sizeof(keys));
		if (s->next_rotate_ns == 0)
			schedule(s, cfg, now_ns);
		return 0;
	}
	if (has_file && !rotating(cfg)) {
		snprintf(err, errlen, "%s does not exist; with server.nts.rotate = 0 the keys "
		         "come from it", cfg->key_file);
		return -1;
	}
	if (s->n > 0 && !has_file) {
		if (s->next_rotate_ns == 0)
			schedule(s, cfg, now_ns);
		return 0;               /* a reload keeps the keys in memory */
	}
	rc = rotate(s, cfg, err, errlen);
	schedule(s, cfg, now_ns);
	return rc;
}

void nts_keys_tick(struct nts_keys_shared *s, const struct conf_nts *cfg, uint64_t now_ns)
{
	char err[256];

	if (!rotating(cfg) && cfg->key_file != NULL && cfg->key_file[0] != '\0')
		follow(s, cfg->key_file);
	if (!rotating(cfg) || s->next_rotate_ns == 0 || now_ns < s->next_rotate_ns)
		return;
	schedule(s, cfg, now_ns);
	if (rotate(s, cfg, err, sizeof(err)) != 0)
		log_err("NTS key rotation: %s", err);
	else
		log_info("NTS: rotated the cookie master key");
}
