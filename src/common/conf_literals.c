/* Integer literals libconfig 1.5 would truncate without a word, NUL bytes
 * it would stop at, and @include: found in the text before it is parsed. */
#include "common/conf_literals.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "common/conf_errors.h"

#define NAME_MAX_TEXT 64

struct scan {
	const char *text;
	size_t len, pos;
	int line;
	const char *file;
	struct conf_errors *errs;
	int problems;
};

static int char_at(const struct scan *s, size_t i)
{
	return i < s->len ? (unsigned char)s->text[i] : -1;
}

static int name_char(int c)
{
	return c >= 0 && (isalnum(c) || c == '_' || c == '-' || c == '*');
}

/* Move past what starts at pos: a comment, a string or one character. */
static void skip_one(struct scan *s)
{
	int c = char_at(s, s->pos), next = char_at(s, s->pos + 1);

	if (c == '#' || (c == '/' && next == '/')) {
		while (s->pos < s->len && s->text[s->pos] != '\n')
			s->pos++;
		return;
	}
	if (c == '/' && next == '*') {
		for (s->pos += 2; s->pos < s->len; s->pos++) {
			if (s->text[s->pos] == '\n')
				s->line++;
			if (char_at(s, s->pos) == '*' && char_at(s, s->pos + 1) == '/') {
				s->pos += 2;
				return;
			}
		}
		return;
	}
	if (c == '"') {
		for (s->pos++; s->pos < s->len && s->text[s->pos] != '"'; s->pos++) {
			if (s->text[s->pos] == '\\')
				s->pos++;
			else if (s->text[s->pos] == '\n')
				s->line++;
		}
		s->pos++;
		return;
	}
	if (c == '@') {
		/* libconfig would read the named file: one file holds it all. */
		conf_error(s->errs, s->file, s->line, "@include is not supported");
		s->problems++;
	}
	if (c == '\n')
		s->line++;
	s->pos++;
}

/* The setting a literal at start belongs to: "name = <here>", or "". */
static void owner_name(const struct scan *s, size_t start, char *out, size_t outlen)
{
	size_t i = start, end;

	out[0] = '\0';
	while (i > 0 && (s->text[i - 1] == ' ' || s->text[i - 1] == '\t'))
		i--;
	if (i == 0 || (s->text[i - 1] != '=' && s->text[i - 1] != ':'))
		return;
	i--;
	while (i > 0 && (s->text[i - 1] == ' ' || s->text[i - 1] == '\t'))
		i--;
	end = i;
	while (i > 0 && name_char((unsigned char)s->text[i - 1]))
		i--;
	if (end > i && end - i < outlen)
		snprintf(out, outlen, "%.*s", (int)(end - i), s->text + i);
}

static void too_large(struct scan *s, size_t start, size_t end)
{
	char name[NAME_MAX_TEXT + 1];
	int n = (int)(end - start);

	owner_name(s, start, name, sizeof(name));
	conf_error(s->errs, s->file, s->line,
	             "%s%sinteger %.*s does not fit in 32 bits (write %.*sL for a "
	             "64-bit value)", name, name[0] != '\0' ? ": " : "",
	             n, s->text + start, n, s->text + start);
	s->problems++;
}

/* A number starts at pos: check it if it is an integer without L. */
static void check_number(struct scan *s)
{
	size_t start = s->pos, i = s->pos;
	int hex = 0, overflow;
	char digits[64];

	if (char_at(s, i) == '-' || char_at(s, i) == '+')
		i++;
	if (char_at(s, i) == '0' && (char_at(s, i + 1) == 'x' || char_at(s, i + 1) == 'X')) {
		if (i != start) {
			s->pos = i;  /* a signed hex literal: libconfig's syntax error */
			return;
		}
		hex = 1;
		i += 2;
	}
	while (hex ? isxdigit(char_at(s, i)) : isdigit(char_at(s, i)))
		i++;
	s->pos = i;
	if (!hex && (char_at(s, i) == '.' || char_at(s, i) == 'e' || char_at(s, i) == 'E'))
		return;  /* a float: the scanner skips the rest as plain characters */
	if (char_at(s, i) == 'L' || i - start >= sizeof(digits)) {
		if (char_at(s, i) != 'L')
			too_large(s, start, i);
		return;
	}
	memcpy(digits, s->text + start, i - start);
	digits[i - start] = '\0';
	errno = 0;
	if (hex) {
		/* libconfig reads hex as 32 unsigned bits (0xffffffff is -1). */
		uintmax_t v = strtoumax(digits, NULL, 16);
		overflow = errno == ERANGE || v > UINT32_MAX;
	} else {
		intmax_t v = strtoimax(digits, NULL, 10);
		overflow = errno == ERANGE || v > INT_MAX || v < INT_MIN;
	}
	if (overflow)
		too_large(s, start, i);
}

static int number_starts(const struct scan *s)
{
	int c = char_at(s, s->pos), next = char_at(s, s->pos + 1);
	int prev = s->pos > 0 ? (unsigned char)s->text[s->pos - 1] : ' ';

	if (name_char(prev) || prev == '.')
		return 0;  /* inside a name like s1, or a float's digits */
	if (c == '-' || c == '+')
		return next >= 0 && isdigit(next);
	return c >= 0 && isdigit(c);
}

int conf_check_literals(const char *text, size_t len, const char *file,
                          struct conf_errors *errs)
{
	struct scan s = { text, len, 0, 1, file, errs, 0 };
	const char *nul = memchr(text, '\0', len);

	if (nul != NULL) {
		for (const char *p = text; p < nul; p++)
			s.line += *p == '\n';
		conf_error(errs, file, s.line, "the file contains a NUL byte");
		return 1;
	}
	while (s.pos < s.len) {
		if (number_starts(&s))
			check_number(&s);
		else
			skip_one(&s);
	}
	return s.problems;
}
