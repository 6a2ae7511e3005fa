/* The control socket's replies: one tree of named values written either as
 * JSON or as indented "key: value" text, from the same calls. */
#ifndef TSD_CTL_OUT_H
#define TSD_CTL_OUT_H

#include <stddef.h>

#define CTL_OUT_MAX_DEPTH 8

struct ctl_out {
	char *buf;
	size_t len, cap;
	int json;
	int failed;                     /* out of memory or too deep: drop the reply */
	int depth;
	int count[CTL_OUT_MAX_DEPTH];   /* values written at each depth */
	int is_array[CTL_OUT_MAX_DEPTH];
	int dash;                       /* text: the next key opens a list item */
};

/* Starts the root object. */
void ctl_out_init(struct ctl_out *o, int json);
/* Ends the root object; the text (o->buf, o->len), or NULL on failure.
 * The caller frees o->buf. */
const char *ctl_out_finish(struct ctl_out *o);
void ctl_out_free(struct ctl_out *o);

/* key is NULL for an element of an array. */
void ctl_out_object(struct ctl_out *o, const char *key);
void ctl_out_array(struct ctl_out *o, const char *key);
void ctl_out_end(struct ctl_out *o);
void ctl_out_str(struct ctl_out *o, const char *key, const char *value);
void ctl_out_uint(struct ctl_out *o, const char *key, unsigned long long value);
void ctl_out_int(struct ctl_out *o, const char *key, long long value);
/* %.9g; NaN and infinities become null. */
void ctl_out_num(struct ctl_out *o, const char *key, double value);
void ctl_out_bool(struct ctl_out *o, const char *key, int value);
void ctl_out_null(struct ctl_out *o, const char *key);
/* Plain text: one line as it is (for replies that are not a tree). */
void ctl_out_text_line(struct ctl_out *o, const char *line);

#endif
