/* A small writer for the control replies: JSON or indented text. */
#include "tsd/ctl_out.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void put(struct ctl_out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct ctl_out *o, const char *fmt, ...)
{
	va_list ap;
	size_t want;
	char *grown;
	int n;

	if (o->failed)
		return;
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	want = o->len + (size_t)n + 1;
	if (n < 0 || want > 4 * 1024 * 1024) {
		o->failed = 1;
		return;
	}
	if (want > o->cap) {
		grown = realloc(o->buf, want * 2);
		if (grown == NULL) {
			o->failed = 1;
			return;
		}
		o->buf = grown;
		o->cap = want * 2;
	}
	va_start(ap, fmt);
	vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
	va_end(ap);
	o->len += (size_t)n;
}

static void put_json_string(struct ctl_out *o, const char *s)
{
	put(o, "\"");
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			put(o, "\\%c", c);
		else if (c < 0x20)
			put(o, "\\u%04x", c);
		else
			put(o, "%c", c);
	}
	put(o, "\"");
}

/* Text: indentation of a line at the current depth (the root is depth 1). */
static void put_indent(struct ctl_out *o)
{
	int width = 2 * (o->depth - 1);

	if (o->dash) {
		put(o, "%*s- ", width - 2 > 0 ? width - 2 : 0, "");
		o->dash = 0;
		return;
	}
	put(o, "%*s", width, "");
}

/* What comes before a value: the separator and the key. */
static void begin_value(struct ctl_out *o, const char *key)
{
	int d = o->depth - 1;

	if (o->json) {
		put(o, "%s", o->count[d] > 0 ? "," : "");
		if (key != NULL && !o->is_array[d]) {
			put_json_string(o, key);
			put(o, ":");
		}
	} else if (key != NULL) {
		put_indent(o);
		put(o, "%s:", key);
	} else {
		put_indent(o);
		put(o, "-");
	}
	o->count[d]++;
}

static void open_container(struct ctl_out *o, const char *key, int array)
{
	if (o->depth >= CTL_OUT_MAX_DEPTH) {
		o->failed = 1;
		return;
	}
	if (o->depth > 0)
		begin_value(o, key);
	if (o->json)
		put(o, array ? "[" : "{");
	else if (o->depth > 0)
		put(o, "\n");
	o->count[o->depth] = 0;
	o->is_array[o->depth] = array;
	o->depth++;
}

void ctl_out_object(struct ctl_out *o, const char *key)
{
	int in_array = o->depth > 0 && o->is_array[o->depth - 1];

	if (!o->json && in_array) {
		/* A list item: its first key goes on the dash's line. */
		o->count[o->depth - 1]++;
		o->count[o->depth] = 0;
		o->is_array[o->depth] = 0;
		o->depth++;
		o->dash = 1;
		return;
	}
	open_container(o, key, 0);
}

void ctl_out_array(struct ctl_out *o, const char *key)
{
	open_container(o, key, 1);
}

void ctl_out_end(struct ctl_out *o)
{
	int d;

	if (o->depth <= 0)
		return;
	d = --o->depth;
	if (o->json)
		put(o, o->is_array[d] ? "]" : "}");
	else if (o->is_array[d] && o->count[d] == 0)
		put(o, "%*s(none)\n", 2 * d, "");
	o->dash = 0;
}

void ctl_out_init(struct ctl_out *o, int json)
{
	memset(o, 0, sizeof(*o));
	o->json = json;
	open_container(o, NULL, 0);
}

const char *ctl_out_finish(struct ctl_out *o)
{
	while (o->depth > 0)
		ctl_out_end(o);
	if (o->json)
		put(o, "\n");
	if (o->buf == NULL)
		put(o, "%s", "");
	return o->failed ? NULL : o->buf;
}

void ctl_out_free(struct ctl_out *o)
{
	free(o->buf);
	memset(o, 0, sizeof(*o));
}

static void scalar(struct ctl_out *o, const char *key, const char *text, int quote)
{
	begin_value(o, key);
	if (o->json && quote)
		put_json_string(o, text);
	else
		put(o, o->json ? "%s" : " %s\n", text);
}

void ctl_out_str(struct ctl_out *o, const char *key, const char *value)
{
	scalar(o, key, value != NULL ? value : "", 1);
}

void ctl_out_uint(struct ctl_out *o, const char *key, unsigned long long value)
{
	char text[32];

	snprintf(text, sizeof(text), "%llu", value);
	scalar(o, key, text, 0);
}

void ctl_out_int(struct ctl_out *o, const char *key, long long value)
{
	char text[32];

	snprintf(text, sizeof(text), "%lld", value);
	scalar(o, key, text, 0);
}

void ctl_out_num(struct ctl_out *o, const char *key, double value)
{
	char text[40];

	if (!isfinite(value)) {
		ctl_out_null(o, key);
		return;
	}
	snprintf(text, sizeof(text), "%.9g", value);
	scalar(o, key, text, 0);
}

void ctl_out_bool(struct ctl_out *o, const char *key, int value)
{
	scalar(o, key, value ? "true" : "false", 0);
}

void ctl_out_null(struct ctl_out *o, const char *key)
{
	scalar(o, key, o->json ? "null" : "-", 0);
}

void ctl_out_text_line(struct ctl_out *o, const char *line)
{
	put(o, "%s\n", line);
}
