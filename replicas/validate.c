/*
 * validate.c - validation of single values against a column's declaration
 * (see validate.h for the contract and schema.h for the column types).
 *
 * validate_value() trims the input, then hands the trimmed bytes (a pointer
 * and a length, never NUL-terminated copies) to one checker per type.  A
 * checker either writes the canonical form to out and returns 0, or records
 * a message and returns ERR_INVALID leaving out untouched.  Every message
 * has the shape
 *     field '<name>': '<value>' <rule>
 * where <value> is the trimmed input made safe to print by show(): control
 * characters, invalid bytes and invisible format characters are escaped,
 * and values longer than SHOW_CHARS characters are cut with "...".
 *
 * Everything here is pure: no allocation, no I/O, no global state other
 * than the read-only tables.
 */
#include "replicas/validate.h"

#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "replicas/err.h"
#include "replicas/banned.h"

#define TEXT_DEFAULT_MAX 200
#define SHOW_CHARS 40   /* characters of a value shown in a message */
#define SHOW_SIZE 320   /* enough for SHOW_CHARS escaped characters + "..." */
#define DATE_MIN_YEAR 1900
#define DATE_MAX_YEAR 2100
#define PHONE_MAX_DIGITS 16

/* CCCD province and city codes (Circular 07/2016/TT-BCA, as amended). */
static const struct {
	int code;
	const char *name;
} provinces[] = {
	{ 1, "Hà Nội" }, { 2, "Hà Giang" }, { 4, "Cao Bằng" },
	{ 6, "Bắc Kạn" }, { 8, "Tuyên Quang" }, { 10, "Lào Cai" },
	{ 11, "Điện Biên" }, { 12, "Lai Châu" }, { 14, "Sơn La" },
	{ 15, "Yên Bái" }, { 17, "Hòa Bình" }, { 19, "Thái Nguyên" },
	{ 20, "Lạng Sơn" }, { 22, "Quảng Ninh" }, { 24, "Bắc Giang" },
	{ 25, "Phú Thọ" }, { 26, "Vĩnh Phúc" }, { 27, "Bắc Ninh" },
	{ 30, "Hải Dương" }, { 31, "Hải Phòng" }, { 33, "Hưng Yên" },
	{ 34, "Thái Bình" }, { 35, "Hà Nam" }, { 36, "Nam Định" },
	{ 37, "Ninh Bình" }, { 38, "Thanh Hóa" }, { 40, "Nghệ An" },
	{ 42, "Hà Tĩnh" }, { 44, "Quảng Bình" }, { 45, "Quảng Trị" },
	{ 46, "Thừa Thiên Huế" }, { 48, "Đà Nẵng" }, { 49, "Quảng Nam" },
	{ 51, "Quảng Ngãi" }, { 52, "Bình Định" }, { 54, "Phú Yên" },
	{ 56, "Khánh Hòa" }, { 58, "Ninh Thuận" }, { 60, "Bình Thuận" },
	{ 62, "Kon Tum" }, { 64, "Gia Lai" }, { 66, "Đắk Lắk" },
	{ 67, "Đắk Nông" }, { 68, "Lâm Đồng" }, { 70, "Bình Phước" },
	{ 72, "Tây Ninh" }, { 74, "Bình Dương" }, { 75, "Đồng Nai" },
	{ 77, "Bà Rịa - Vũng Tàu" }, { 79, "Hồ Chí Minh" }, { 80, "Long An" },
	{ 82, "Tiền Giang" }, { 83, "Bến Tre" }, { 84, "Trà Vinh" },
	{ 86, "Vĩnh Long" }, { 87, "Đồng Tháp" }, { 89, "An Giang" },
	{ 91, "Kiên Giang" }, { 92, "Cần Thơ" }, { 93, "Hậu Giang" },
	{ 94, "Sóc Trăng" }, { 95, "Bạc Liêu" }, { 96, "Cà Mau" },
};

/* Spellings accepted for booleans, after bool_fold(). */
static const char *const bool_yes[] = { "1", "yes", "true", "y", "có", "co",
					"x", NULL };
static const char *const bool_no[] = { "0", "no", "false", "n", "không",
				       "khong", NULL };

/*
 * Decodes one UTF-8 sequence at s (at most n bytes).  Returns its length
 * and sets *cp, or 0 when the bytes are not a valid, shortest-form encoding
 * of a scalar value (overlong forms, surrogates and values past U+10FFFF
 * are invalid).
 */
static size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
	uint32_t c;
	size_t len, i;

	if (n == 0)
		return 0;
	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		c = s[0] & 0x1fu;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		c = s[0] & 0x0fu;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		c = s[0] & 0x07u;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3fu);
	}
	if ((len == 3 && c < 0x800) || (len == 4 && c < 0x10000) ||
	    (c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff)
		return 0;
	*cp = c;
	return len;
}

/* Characters that print as nothing or reorder the text around them: shown
 * escaped so a message cannot hide or disguise part of a value. */
static int is_invisible(uint32_t cp)
{
	return (cp >= 0x80 && cp <= 0x9f) || cp == 0xad ||
	       (cp >= 0x200b && cp <= 0x200f) ||
	       (cp >= 0x202a && cp <= 0x202e) ||
	       (cp >= 0x2060 && cp <= 0x2069) || cp == 0xfeff;
}

/*
 * Writes a printable form of v (n bytes) to buf (SHOW_SIZE bytes): valid
 * UTF-8 as it is, tab/newline/CR as \t \n \r, other controls and invalid
 * bytes as \xNN, invisible characters as \uNNNN, cut after SHOW_CHARS
 * characters with "...".
 */
static void show(char *buf, const char *v, size_t n)
{
	const unsigned char *s = (const unsigned char *)v;
	size_t i = 0, o = 0, chars = 0;

	while (i < n) {
		char esc[16];
		const char *piece = esc;
		size_t plen, len;
		uint32_t cp;

		len = utf8_decode(s + i, n - i, &cp);
		if (len == 0) {
			snprintf(esc, sizeof(esc), "\\x%02x", s[i]);
			len = 1;
		} else if (cp == '\t') {
			piece = "\\t";
		} else if (cp == '\n') {
			piece = "\\n";
		} else if (cp == '\r') {
			piece = "\\r";
		} else if (cp < 0x20 || cp == 0x7f) {
			snprintf(esc, sizeof(esc), "\\x%02x", (unsigned)cp);
		} else if (is_invisible(cp)) {
			snprintf(esc, sizeof(esc), "\\u%04x", (unsigned)cp);
		} else {
			piece = v + i;
		}
		plen = piece == v + i ? len : strlen(piece);
		/* keep room for "..." and the NUL */
		if (chars == SHOW_CHARS || o + plen + 4 > SHOW_SIZE) {
			memcpy(buf + o, "...", 3);
			o += 3;
			break;
		}
		memcpy(buf + o, piece, plen);
		o += plen;
		i += len;
		chars++;
	}
	buf[o] = '\0';
}

/* Records "field '<name>': '<value>' <rule>" and returns ERR_INVALID. */
static int fail(const struct column_desc *c, const char *v, size_t n,
		const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int fail(const struct column_desc *c, const char *v, size_t n,
		const char *fmt, ...)
{
	char shown[SHOW_SIZE], rule[640];
	va_list ap;

	show(shown, v, n);
	va_start(ap, fmt);
	vsnprintf(rule, sizeof(rule), fmt, ap);
	va_end(ap);
	return err_set(ERR_INVALID, "field '%s': '%s' %s",
		       c->name ? c->name : "?", shown, rule);
}

/* Copies the canonical form s (n bytes) to out, or fails as a caller bug. */
static int put(const struct column_desc *c, char *out, size_t outsz,
	       const char *s, size_t n)
{
	if (n + 1 > outsz)
		return err_set(ERR_INTERNAL,
			       "field '%s': output buffer of %zu bytes is too "
			       "small for %zu bytes",
			       c->name ? c->name : "?", outsz, n + 1);
	memcpy(out, s, n);
	out[n] = '\0';
	return 0;
}

/* Length of the white space at s (ASCII, no-break space, byte order mark),
 * 0 if none. */
static size_t space_at(const char *s, size_t n)
{
	if (n >= 1 && (s[0] == ' ' || (s[0] >= '\t' && s[0] <= '\r')))
		return 1;
	if (n >= 2 && memcmp(s, "\xc2\xa0", 2) == 0)
		return 2;
	if (n >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0)
		return 3;
	return 0;
}

/* Length of the white space ending at s + n, 0 if none. */
static size_t space_before(const char *s, size_t n)
{
	char last = n >= 1 ? s[n - 1] : 'x';

	if (last == ' ' || (last >= '\t' && last <= '\r'))
		return 1;
	if (n >= 2 && memcmp(s + n - 2, "\xc2\xa0", 2) == 0)
		return 2;
	if (n >= 3 && memcmp(s + n - 3, "\xef\xbb\xbf", 3) == 0)
		return 3;
	return 0;
}

static void trim(const char *in, const char **v, size_t *n)
{
	size_t len = strlen(in), k;

	while ((k = space_at(in, len)) > 0) {
		in += k;
		len -= k;
	}
	while ((k = space_before(in, len)) > 0)
		len -= k;
	*v = in;
	*n = len;
}

static int is_digit(char ch)
{
	return ch >= '0' && ch <= '9';
}

static char ascii_lower(char ch)
{
	return (ch >= 'A' && ch <= 'Z') ? (char)(ch - 'A' + 'a') : ch;
}

static int check_text(const struct column_desc *c, const char *v, size_t n,
		      char *out, size_t outsz)
{
	const unsigned char *s = (const unsigned char *)v;
	size_t max = c->max_len > 0 ? (size_t)c->max_len : TEXT_DEFAULT_MAX;
	size_t i = 0, chars = 0;

	while (i < n) {
		uint32_t cp;
		size_t len = utf8_decode(s + i, n - i, &cp);

		if (len == 0)
			return fail(c, v, n, "is not valid utf-8 text");
		if (cp < 0x20 && cp != '\t' && cp != '\n')
			return fail(c, v, n, "contains a control character "
					     "(only tab and newline are "
					     "allowed)");
		i += len;
		chars++;
	}
	if (chars > max)
		return fail(c, v, n, "is too long: %zu characters, at most %zu "
				     "allowed", chars, max);
	return put(c, out, outsz, v, n);
}

/*
 * Parses a decimal integer with optional sign and optional thousands
 * separators: one kind of '.', ',' or ' ' used throughout, a first group of
 * 1-3 digits and then groups of exactly 3 ("1.500.000", "1,500", "1 500").
 * Returns 0 and sets *val, -1 when malformed, -2 when past long long.
 */
static int parse_int(const char *v, size_t n, long long *val)
{
	unsigned long long mag = 0, limit = (unsigned long long)LLONG_MAX;
	size_t i = 0, group = 0;
	char sep = 0;
	int neg = 0, overflow = 0;

	if (v[0] == '-' || v[0] == '+') {
		neg = v[0] == '-';
		i++;
	}
	if (neg)
		limit++;
	if (i == n)
		return -1;
	for (; i < n; i++) {
		if (is_digit(v[i])) {
			unsigned d = (unsigned)(v[i] - '0');

			if (mag > (limit - d) / 10)
				overflow = 1;
			else
				mag = mag * 10 + d;
			group++;
			continue;
		}
		if (v[i] != '.' && v[i] != ',' && v[i] != ' ')
			return -1;
		if (group == 0 || (sep != 0 && v[i] != sep))
			return -1;
		if (sep == 0 ? group > 3 : group != 3)
			return -1;
		sep = v[i];
		group = 0;
	}
	if (group == 0 || (sep != 0 && group != 3))
		return -1;
	if (overflow)
		return -2;
	if (neg)
		*val = mag == limit ? LLONG_MIN : -(long long)mag;
	else
		*val = (long long)mag;
	return 0;
}

static int check_int(const struct column_desc *c, const char *v, size_t n,
		     char *out, size_t outsz)
{
	long long min = c->min, max = c->max, val = 0;
	char buf[32];
	int r, len;

	/* a column that declares no bounds ({0, 0}) takes any integer */
	if (min == 0 && max == 0) {
		min = LLONG_MIN;
		max = LLONG_MAX;
	}
	r = parse_int(v, n, &val);
	if (r == -1)
		return fail(c, v, n, "is not a whole number (e.g. 1500000 or "
				     "1.500.000)");
	if (r == -2 || val < min || val > max)
		return fail(c, v, n, "is not between %lld and %lld", min, max);
	len = snprintf(buf, sizeof(buf), "%lld", val);
	return put(c, out, outsz, buf, (size_t)len);
}

/* Other spellings of ó and ô (upper case, decomposed), folded to the
 * precomposed lower case before a boolean word is looked up. */
static const struct {
	const char *from, *to;
} bool_marks[] = {
	{ "\xc3\x93", "ó" }, { "o\xcc\x81", "ó" }, { "O\xcc\x81", "ó" },
	{ "\xc3\x94", "ô" }, { "o\xcc\x82", "ô" }, { "O\xcc\x82", "ô" },
};

/* Lower-cases the word v (n bytes) into buf (size bufsz): ASCII letters,
 * and bool_marks[], enough for "Có", "CÓ", "KHÔNG".  0 if it does not fit. */
static int bool_fold(const char *v, size_t n, char *buf, size_t bufsz)
{
	const size_t nmarks = sizeof(bool_marks) / sizeof(bool_marks[0]);
	size_t i = 0, o = 0, k;

	while (i < n) {
		const char *to = NULL;
		size_t used = 1, tlen = 1;

		for (k = 0; k < nmarks; k++) {
			size_t flen = strlen(bool_marks[k].from);

			if (n - i >= flen &&
			    memcmp(v + i, bool_marks[k].from, flen) == 0) {
				to = bool_marks[k].to;
				used = flen;
				tlen = strlen(to);
				break;
			}
		}
		if (o + tlen + 1 > bufsz)
			return 0;
		if (to)
			memcpy(buf + o, to, tlen);
		else
			buf[o] = ascii_lower(v[i]);
		o += tlen;
		i += used;
	}
	buf[o] = '\0';
	return 1;
}

static int in_list(const char *word, const char *const *list)
{
	for (; *list; list++)
		if (strcmp(word, *list) == 0)
			return 1;
	return 0;
}

static int check_bool(const struct column_desc *c, const char *v, size_t n,
		      char *out, size_t outsz)
{
	char word[16];

	if (bool_fold(v, n, word, sizeof(word))) {
		if (in_list(word, bool_yes))
			return put(c, out, outsz, "1", 1);
		if (in_list(word, bool_no))
			return put(c, out, outsz, "0", 1);
	}
	return fail(c, v, n, "is not yes or no (1/0, yes/no, true/false, y/n, "
			     "có/không, x)");
}

/* Reads a run of 1..maxd digits at v[*i]; returns the digit count (0 if
 * none or too many) and the value in *val. */
static size_t read_num(const char *v, size_t n, size_t *i, size_t maxd,
		       int *val)
{
	size_t start = *i;

	*val = 0;
	while (*i < n && is_digit(v[*i])) {
		if (*i - start == maxd)
			return 0;
		*val = *val * 10 + (v[*i] - '0');
		(*i)++;
	}
	return *i - start;
}

/* 1 if y-m-d is not after tomorrow (one day of slack for clocks and time
 * zones, since a peer's "today" may be ahead of ours). */
static int not_future(int y, int m, int d)
{
	time_t t = time(NULL) + 86400;
	struct tm tm;

	localtime_r(&t, &tm);
	if (y != tm.tm_year + 1900)
		return y < tm.tm_year + 1900;
	if (m != tm.tm_mon + 1)
		return m < tm.tm_mon + 1;
	return d <= tm.tm_mday;
}

static int check_date(const struct column_desc *c, const char *v, size_t n,
		      char *out, size_t outsz)
{
	size_t i = 0, len[3];
	int num[3], y, m, d, k, day_first;
	char sep = 0, buf[32];

	for (k = 0; k < 3; k++) {
		len[k] = read_num(v, n, &i, 4, &num[k]);
		if (len[k] == 0)
			goto bad;
		if (k == 2)
			break;
		if (i >= n || (v[i] != '-' && v[i] != '/' && v[i] != '.') ||
		    (sep != 0 && v[i] != sep))
			goto bad;
		sep = v[i++];
	}
	if (i != n)
		goto bad;
	if (len[0] == 4 && len[1] <= 2 && len[2] <= 2) {
		y = num[0], m = num[1], d = num[2];
		day_first = 0;
	} else if (len[2] == 4 && len[0] <= 2 && len[1] <= 2) {
		d = num[0], m = num[1], y = num[2];
		day_first = 1;
	} else {
		goto bad;
	}
	if (y < DATE_MIN_YEAR || y > DATE_MAX_YEAR)
		return fail(c, v, n, "is not between %d-01-01 and %d-12-31",
			    DATE_MIN_YEAR, DATE_MAX_YEAR);
	if (!validate_date_real(y, m, d))
		return fail(c, v, n, "is not a real date (%s)",
			    day_first ? "DD/MM/YYYY" : "YYYY-MM-DD");
	snprintf(buf, sizeof(buf), "%04d-%02d-%02d", y, m, d);
	if ((c->flags & COL_PAST) && !not_future(y, m, d))
		return fail(c, v, n, "is in the future");
	return put(c, out, outsz, buf, 10);
bad:
	return fail(c, v, n, "is not a date (YYYY-MM-DD or DD/MM/YYYY)");
}

/* 1 if a equals the NUL-terminated b ignoring ASCII case and taking '-'
 * for '_'. */
static int enum_match(const char *a, size_t n, const char *b)
{
	size_t i;

	for (i = 0; i < n; i++) {
		char x = ascii_lower(a[i] == '-' ? '_' : a[i]);
		char y = ascii_lower(b[i] == '-' ? '_' : b[i]);

		if (b[i] == '\0' || x != y)
			return 0;
	}
	return b[n] == '\0';
}

static int check_enum(const struct column_desc *c, const char *v, size_t n,
		      char *out, size_t outsz)
{
	const char *const *e;
	char list[512];
	size_t o = 0;

	if (c->enum_values == NULL)
		return err_set(ERR_INTERNAL, "field '%s': no enum values "
					     "declared",
			       c->name ? c->name : "?");
	for (e = c->enum_values; *e; e++)
		if (enum_match(v, n, *e))
			return put(c, out, outsz, *e, strlen(*e));
	list[0] = '\0';
	for (e = c->enum_values; *e; e++) {
		size_t len = strlen(*e);

		if (o + len + 2 + 4 + 1 > sizeof(list)) {
			memcpy(list + o, "...", 4);
			break;
		}
		if (o > 0) {
			memcpy(list + o, ", ", 2);
			o += 2;
		}
		memcpy(list + o, *e, len + 1);
		o += len;
	}
	return fail(c, v, n, "is not one of: %s", list);
}

static int is_hex(char ch)
{
	return is_digit(ch) || (ch >= 'a' && ch <= 'f') ||
	       (ch >= 'A' && ch <= 'F');
}

static int check_ref(const struct column_desc *c, const char *v, size_t n,
		     char *out, size_t outsz)
{
	char buf[37];
	size_t i;

	if (n != 36)
		goto bad;
	for (i = 0; i < 36; i++) {
		int dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (dash ? v[i] != '-' : !is_hex(v[i]))
			goto bad;
		buf[i] = ascii_lower(v[i]);
	}
	return put(c, out, outsz, buf, 36);
bad:
	return fail(c, v, n, "is not a record id (8-4-4-4-12 hex digits, e.g. "
			     "0190a6e4-7c1b-7d3e-9f00-123456789abc)");
}

static int check_citizen_id(const struct column_desc *c, const char *v,
			    size_t n, char *out, size_t outsz)
{
	char digits[13];
	size_t i, nd = 0;

	for (i = 0; i < n; i++) {
		if (v[i] == ' ')
			continue;
		if (!is_digit(v[i]) || nd == 12)
			return fail(c, v, n, "must be exactly 12 digits");
		digits[nd++] = v[i];
	}
	if (nd != 12)
		return fail(c, v, n, "must be exactly 12 digits");
	if (!validate_province_code((digits[0] - '0') * 100 +
				    (digits[1] - '0') * 10 + (digits[2] - '0')))
		return fail(c, v, n, "does not start with a real province code "
				     "(e.g. 079 for Hồ Chí Minh)");
	return put(c, out, outsz, digits, 12);
}

/*
 * Phones: separators (space . - ( )) are dropped; +84, or 84 in front of
 * what would otherwise be 9 or 10 digits, becomes 0 ("+84 (0)90..." too).
 * The result must be a mobile 0[35789] + 8 digits or a landline 02 + 9.
 */
static int check_phone(const struct column_desc *c, const char *v, size_t n,
		       char *out, size_t outsz)
{
	char d[PHONE_MAX_DIGITS + 2], *p = d + 1;
	size_t i = 0, nd = 0;
	int plus = 0;

	if (v[0] == '+') {
		plus = 1;
		i++;
	}
	for (; i < n; i++) {
		if (v[i] == ' ' || v[i] == '.' || v[i] == '-' || v[i] == '(' ||
		    v[i] == ')')
			continue;
		if (!is_digit(v[i]) || nd == PHONE_MAX_DIGITS)
			goto bad;
		p[nd++] = v[i];
	}
	if (plus || (nd >= 11 && p[0] == '8' && p[1] == '4')) {
		if (nd < 2 || p[0] != '8' || p[1] != '4')
			goto bad;
		p += 2;
		nd -= 2;
		if (nd == 0 || p[0] != '0') {
			*--p = '0'; /* over the '4' just skipped */
			nd++;
		}
	}
	if (nd == 10 && p[0] == '0' && strchr("35789", p[1]) != NULL)
		return put(c, out, outsz, p, nd);
	if (nd == 11 && p[0] == '0' && p[1] == '2')
		return put(c, out, outsz, p, nd);
bad:
	return fail(c, v, n, "is not a Vietnamese phone number (expected 10 "
			     "digits starting 03, 05, 07, 08 or 09, or 11 "
			     "digits starting 02, e.g. 0901234567)");
}

static int check_scope(const struct column_desc *c, const char *v, size_t n,
		       char *out, size_t outsz)
{
	char buf[64];
	size_t i;

	if (n < 2 || n > 63)
		goto bad;
	for (i = 0; i < n; i++) {
		char ch = ascii_lower(v[i]);

		if (!is_digit(ch) && !(ch >= 'a' && ch <= 'z') && ch != '-')
			goto bad;
		buf[i] = ch;
	}
	return put(c, out, outsz, buf, n);
bad:
	return fail(c, v, n, "is not a scope code (2 to 63 lowercase letters, "
			     "digits or '-')");
}

int validate_value(const struct column_desc *c, const char *in, char *out,
		   size_t outsz)
{
	const char *v;
	size_t n;

	if (c == NULL || out == NULL || outsz == 0)
		return err_set(ERR_INTERNAL, "validate_value: no column or "
					     "no output buffer");
	if (in == NULL) {
		out[0] = '\0';
		return 1;
	}
	trim(in, &v, &n);
	if (n == 0) {
		out[0] = '\0';
		return 1;
	}
	switch (c->type) {
	case COL_TEXT: return check_text(c, v, n, out, outsz);
	case COL_INT: return check_int(c, v, n, out, outsz);
	case COL_BOOL: return check_bool(c, v, n, out, outsz);
	case COL_DATE: return check_date(c, v, n, out, outsz);
	case COL_ENUM: return check_enum(c, v, n, out, outsz);
	case COL_REF: return check_ref(c, v, n, out, outsz);
	case COL_CITIZEN_ID: return check_citizen_id(c, v, n, out, outsz);
	case COL_PHONE: return check_phone(c, v, n, out, outsz);
	case COL_SCOPE: return check_scope(c, v, n, out, outsz);
	}
	return err_set(ERR_INTERNAL, "field '%s': unknown column type %d",
		       c->name ? c->name : "?", (int)c->type);
}

int validate_utf8(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0;

	while (i < n) {
		uint32_t cp;
		size_t len = utf8_decode(u + i, n - i, &cp);

		if (len == 0 || (cp < 0x20 && cp != '\t' && cp != '\n'))
			return 0;
		i += len;
	}
	return 1;
}

size_t validate_utf8_len(const char *s)
{
	size_t count = 0;

	if (s == NULL)
		return 0;
	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			count++;
	return count;
}

int validate_province_code(int code)
{
	size_t i;

	for (i = 0; i < sizeof(provinces) / sizeof(provinces[0]); i++)
		if (provinces[i].code == code)
			return 1;
	return 0;
}

int validate_date_real(int y, int m, int d)
{
	static const int mdays[12] = { 31, 28, 31, 30, 31, 30,
				       31, 31, 30, 31, 30, 31 };
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	if (y < 1 || y > 9999 || m < 1 || m > 12 || d < 1)
		return 0;
	return d <= mdays[m - 1] + (m == 2 && leap);
}
