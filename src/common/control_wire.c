/* The control protocol's framing, shared by the master and tsdctl. */
#include "common/control_wire.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const command_names[CONTROL_N_COMMANDS] = {
	"status", "sources", "stats", "reload",
};

const char *control_command_name(enum control_command c)
{
	return (unsigned)c < CONTROL_N_COMMANDS ? command_names[c] : NULL;
}

int control_command_find(const char *name)
{
	for (int i = 0; i < CONTROL_N_COMMANDS; i++)
		if (strcmp(name, command_names[i]) == 0)
			return i;
	return -1;
}

int control_format_request(char *buf, size_t len, const struct control_request *req)
{
	const char *name = control_command_name(req->command);
	int n;

	if (name == NULL)
		return -1;
	n = snprintf(buf, len, "%s/%d %s%s\n", CONTROL_MAGIC, CONTROL_VERSION, name,
	             req->json ? " json" : "");
	return n < 0 || (size_t)n >= len || n > CONTROL_MAX_REQUEST ? -1 : n;
}

/* The words after the magic, in a NUL-terminated copy of the line. */
static int parse_words(char *line, struct control_request *req, const char **why)
{
	char *save = NULL, *word = strtok_r(line, " ", &save);
	int cmd;

	if (word == NULL || (cmd = control_command_find(word)) < 0) {
		*why = "unknown command (status, sources, stats or reload)";
		return -1;
	}
	req->command = (enum control_command)cmd;
	req->json = 0;
	while ((word = strtok_r(NULL, " ", &save)) != NULL) {
		if (strcmp(word, "json") != 0) {
			*why = "unknown option (only \"json\")";
			return -1;
		}
		req->json = 1;
	}
	return 0;
}

int control_parse_request(const char *buf, size_t len, struct control_request *req,
                          const char **why)
{
	char line[CONTROL_MAX_REQUEST + 1], magic[16];
	const char *nl = memchr(buf, '\n', len);
	size_t n, prefix;

	if (nl == NULL) {
		*why = "no complete request line";
		return len < CONTROL_MAX_REQUEST ? 1 : -1;
	}
	n = (size_t)(nl - buf);
	if (n >= CONTROL_MAX_REQUEST || memchr(buf, '\0', n) != NULL) {
		*why = "request line too long or not text";
		return -1;
	}
	if (n + 1 != len) {
		*why = "bytes after the request line";
		return -1;
	}
	snprintf(magic, sizeof(magic), "%s/%d ", CONTROL_MAGIC, CONTROL_VERSION);
	prefix = strlen(magic);
	if (n < prefix || memcmp(buf, magic, prefix) != 0) {
		*why = "not a TSDCTL/1 request";
		return -1;
	}
	memcpy(line, buf + prefix, n - prefix);
	line[n - prefix] = '\0';
	return parse_words(line, req, why);
}

int control_format_header(char *buf, size_t len, enum control_code code, size_t body_len)
{
	int n = snprintf(buf, len, "%s/%d %d %zu\n", CONTROL_MAGIC, CONTROL_VERSION,
	                 (int)code, body_len);

	return n < 0 || (size_t)n >= len ? -1 : n;
}

/* "<digits>" only, at most max. */
static int parse_count(const char *text, unsigned long long max, unsigned long long *out)
{
	char *end;

	if (*text < '0' || *text > '9')
		return -1;
	errno = 0;
	*out = strtoull(text, &end, 10);
	return errno == 0 && *end == '\0' && *out <= max ? 0 : -1;
}

int control_parse_header(const char *buf, size_t len, struct control_header *h,
                         size_t *header_len)
{
	char line[CONTROL_MAX_HEADER + 1], *save = NULL, *magic, *code, *size, *extra;
	const char *nl = memchr(buf, '\n', len < CONTROL_MAX_HEADER ? len : CONTROL_MAX_HEADER);
	unsigned long long c, body;

	if (nl == NULL)
		return len < CONTROL_MAX_HEADER ? 1 : -1;
	memcpy(line, buf, (size_t)(nl - buf));
	line[nl - buf] = '\0';
	magic = strtok_r(line, " ", &save);
	code = strtok_r(NULL, " ", &save);
	size = strtok_r(NULL, " ", &save);
	extra = strtok_r(NULL, " ", &save);
	if (magic == NULL || size == NULL || extra != NULL ||
	    strncmp(magic, CONTROL_MAGIC "/", strlen(CONTROL_MAGIC) + 1) != 0)
		return -1;
	if (parse_count(magic + strlen(CONTROL_MAGIC) + 1, 1000, &c) != 0)
		return -1;
	h->version = (int)c;
	if (parse_count(code, CONTROL_DENIED, &c) != 0 ||
	    parse_count(size, CONTROL_MAX_BODY, &body) != 0)
		return -1;
	h->code = (enum control_code)c;
	h->body_len = (size_t)body;
	*header_len = (size_t)(nl - buf) + 1;
	return 0;
}
