/*
 * fold.c - Vietnamese-aware search folding (see fold.h).
 *
 * The fold works one code point at a time and never makes the text longer:
 * a Vietnamese letter (2 or 3 bytes) becomes one ASCII byte, combining marks
 * and runs of white space shrink or vanish, and the "simple" lower-casing
 * of other scripts maps 2-byte letters to 2-byte letters.  So the output
 * fits in strlen(in) + 1 bytes, which is all fold_text() allocates.
 *
 * The Vietnamese letters are one sorted table (viet[]) of every precomposed
 * letter: the twelve vowels a ă â e ê i o ô ơ u ư y with the five tone marks
 * (grave, acute, hook above, tilde, dot below) in both cases, plus đ/Đ.  It
 * was generated from Unicode's decompositions and is searched by bisection.
 */
#include "replicas/fold.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "replicas/banned.h"

struct fold_entry {
	uint32_t cp;
	char base;
};

/* Every precomposed Vietnamese letter and its ASCII base, sorted by cp. */
static const struct fold_entry viet[] = {
	{ 0x00C0, 'a' }, { 0x00C1, 'a' }, { 0x00C2, 'a' }, /* À Á Â */
	{ 0x00C3, 'a' }, { 0x00C8, 'e' }, { 0x00C9, 'e' }, /* Ã È É */
	{ 0x00CA, 'e' }, { 0x00CC, 'i' }, { 0x00CD, 'i' }, /* Ê Ì Í */
	{ 0x00D2, 'o' }, { 0x00D3, 'o' }, { 0x00D4, 'o' }, /* Ò Ó Ô */
	{ 0x00D5, 'o' }, { 0x00D9, 'u' }, { 0x00DA, 'u' }, /* Õ Ù Ú */
	{ 0x00DD, 'y' }, { 0x00E0, 'a' }, { 0x00E1, 'a' }, /* Ý à á */
	{ 0x00E2, 'a' }, { 0x00E3, 'a' }, { 0x00E8, 'e' }, /* â ã è */
	{ 0x00E9, 'e' }, { 0x00EA, 'e' }, { 0x00EC, 'i' }, /* é ê ì */
	{ 0x00ED, 'i' }, { 0x00F2, 'o' }, { 0x00F3, 'o' }, /* í ò ó */
	{ 0x00F4, 'o' }, { 0x00F5, 'o' }, { 0x00F9, 'u' }, /* ô õ ù */
	{ 0x00FA, 'u' }, { 0x00FD, 'y' }, { 0x0102, 'a' }, /* ú ý Ă */
	{ 0x0103, 'a' }, { 0x0110, 'd' }, { 0x0111, 'd' }, /* ă Đ đ */
	{ 0x0128, 'i' }, { 0x0129, 'i' }, { 0x0168, 'u' }, /* Ĩ ĩ Ũ */
	{ 0x0169, 'u' }, { 0x01A0, 'o' }, { 0x01A1, 'o' }, /* ũ Ơ ơ */
	{ 0x01AF, 'u' }, { 0x01B0, 'u' }, { 0x1EA0, 'a' }, /* Ư ư Ạ */
	{ 0x1EA1, 'a' }, { 0x1EA2, 'a' }, { 0x1EA3, 'a' }, /* ạ Ả ả */
	{ 0x1EA4, 'a' }, { 0x1EA5, 'a' }, { 0x1EA6, 'a' }, /* Ấ ấ Ầ */
	{ 0x1EA7, 'a' }, { 0x1EA8, 'a' }, { 0x1EA9, 'a' }, /* ầ Ẩ ẩ */
	{ 0x1EAA, 'a' }, { 0x1EAB, 'a' }, { 0x1EAC, 'a' }, /* Ẫ ẫ Ậ */
	{ 0x1EAD, 'a' }, { 0x1EAE, 'a' }, { 0x1EAF, 'a' }, /* ậ Ắ ắ */
	{ 0x1EB0, 'a' }, { 0x1EB1, 'a' }, { 0x1EB2, 'a' }, /* Ằ ằ Ẳ */
	{ 0x1EB3, 'a' }, { 0x1EB4, 'a' }, { 0x1EB5, 'a' }, /* ẳ Ẵ ẵ */
	{ 0x1EB6, 'a' }, { 0x1EB7, 'a' }, { 0x1EB8, 'e' }, /* Ặ ặ Ẹ */
	{ 0x1EB9, 'e' }, { 0x1EBA, 'e' }, { 0x1EBB, 'e' }, /* ẹ Ẻ ẻ */
	{ 0x1EBC, 'e' }, { 0x1EBD, 'e' }, { 0x1EBE, 'e' }, /* Ẽ ẽ Ế */
	{ 0x1EBF, 'e' }, { 0x1EC0, 'e' }, { 0x1EC1, 'e' }, /* ế Ề ề */
	{ 0x1EC2, 'e' }, { 0x1EC3, 'e' }, { 0x1EC4, 'e' }, /* Ể ể Ễ */
	{ 0x1EC5, 'e' }, { 0x1EC6, 'e' }, { 0x1EC7, 'e' }, /* ễ Ệ ệ */
	{ 0x1EC8, 'i' }, { 0x1EC9, 'i' }, { 0x1ECA, 'i' }, /* Ỉ ỉ Ị */
	{ 0x1ECB, 'i' }, { 0x1ECC, 'o' }, { 0x1ECD, 'o' }, /* ị Ọ ọ */
	{ 0x1ECE, 'o' }, { 0x1ECF, 'o' }, { 0x1ED0, 'o' }, /* Ỏ ỏ Ố */
	{ 0x1ED1, 'o' }, { 0x1ED2, 'o' }, { 0x1ED3, 'o' }, /* ố Ồ ồ */
	{ 0x1ED4, 'o' }, { 0x1ED5, 'o' }, { 0x1ED6, 'o' }, /* Ổ ổ Ỗ */
	{ 0x1ED7, 'o' }, { 0x1ED8, 'o' }, { 0x1ED9, 'o' }, /* ỗ Ộ ộ */
	{ 0x1EDA, 'o' }, { 0x1EDB, 'o' }, { 0x1EDC, 'o' }, /* Ớ ớ Ờ */
	{ 0x1EDD, 'o' }, { 0x1EDE, 'o' }, { 0x1EDF, 'o' }, /* ờ Ở ở */
	{ 0x1EE0, 'o' }, { 0x1EE1, 'o' }, { 0x1EE2, 'o' }, /* Ỡ ỡ Ợ */
	{ 0x1EE3, 'o' }, { 0x1EE4, 'u' }, { 0x1EE5, 'u' }, /* ợ Ụ ụ */
	{ 0x1EE6, 'u' }, { 0x1EE7, 'u' }, { 0x1EE8, 'u' }, /* Ủ ủ Ứ */
	{ 0x1EE9, 'u' }, { 0x1EEA, 'u' }, { 0x1EEB, 'u' }, /* ứ Ừ ừ */
	{ 0x1EEC, 'u' }, { 0x1EED, 'u' }, { 0x1EEE, 'u' }, /* Ử ử Ữ */
	{ 0x1EEF, 'u' }, { 0x1EF0, 'u' }, { 0x1EF1, 'u' }, /* ữ Ự ự */
	{ 0x1EF2, 'y' }, { 0x1EF3, 'y' }, { 0x1EF4, 'y' }, /* Ỳ ỳ Ỵ */
	{ 0x1EF5, 'y' }, { 0x1EF6, 'y' }, { 0x1EF7, 'y' }, /* ỵ Ỷ ỷ */
	{ 0x1EF8, 'y' }, { 0x1EF9, 'y' }, /* Ỹ ỹ */
};

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

/* The ASCII base of Vietnamese letter cp, or 0. */
static char viet_base(uint32_t cp)
{
	size_t lo = 0, hi = sizeof(viet) / sizeof(viet[0]);

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (viet[mid].cp == cp)
			return viet[mid].base;
		if (viet[mid].cp < cp)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

/*
 * Lower case of cp where that is a fixed offset within the same UTF-8
 * length (Latin-1, Latin Extended-A, Greek, Cyrillic); else cp itself.
 */
static uint32_t simple_lower(uint32_t cp)
{
	if (cp >= 0xc0 && cp <= 0xde && cp != 0xd7)
		return cp + 0x20;
	if ((cp >= 0x100 && cp <= 0x12f) || (cp >= 0x132 && cp <= 0x137) ||
	    (cp >= 0x14a && cp <= 0x177))
		return (cp % 2 == 0) ? cp + 1 : cp;
	if ((cp >= 0x139 && cp <= 0x148) || (cp >= 0x179 && cp <= 0x17e))
		return (cp % 2 == 1) ? cp + 1 : cp;
	if (cp == 0x178)
		return 0xff;
	if (cp >= 0x391 && cp <= 0x3a9 && cp != 0x3a2)
		return cp + 0x20;
	if (cp >= 0x410 && cp <= 0x42f)
		return cp + 0x20;
	if (cp >= 0x400 && cp <= 0x40f)
		return cp + 0x50;
	return cp;
}

static int is_space(uint32_t cp)
{
	return cp == ' ' || (cp >= '\t' && cp <= '\r') || cp == 0xa0 ||
	       (cp >= 0x2000 && cp <= 0x200a) || cp == 0x202f ||
	       cp == 0x205f || cp == 0x3000;
}

/* Marks that only decorate the previous letter, and invisible format
 * characters (zero width space, byte order mark) that would defeat a
 * search without being seen. */
static int is_dropped(uint32_t cp)
{
	return (cp >= 0x300 && cp <= 0x36f) || cp == 0x200b || cp == 0xfeff;
}

/* Appends the character at src (srclen bytes, code point cp) to out at
 * *o, lower-cased when simple_lower() knows how (always 2 bytes to 2). */
static void put_lower(char *out, size_t *o, uint32_t cp,
		      const unsigned char *src, size_t srclen)
{
	uint32_t lc = simple_lower(cp);

	if (lc == cp || srclen != 2 || lc >= 0x800) {
		memcpy(out + *o, src, srclen);
		*o += srclen;
		return;
	}
	out[(*o)++] = (char)(0xc0 | (lc >> 6));
	out[(*o)++] = (char)(0x80 | (lc & 0x3f));
}

char *fold_text(const char *in)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t n, i = 0, o = 0;
	int pending_space = 0;
	char *out;

	if (in == NULL)
		return NULL;
	n = strlen(in);
	out = malloc(n + 1);
	if (out == NULL)
		return NULL;
	while (i < n) {
		uint32_t cp;
		size_t len = utf8_decode(s + i, n - i, &cp);
		char base;

		if (len == 0) { /* invalid byte: copied through */
			if (pending_space && o > 0)
				out[o++] = ' ';
			pending_space = 0;
			out[o++] = (char)s[i++];
			continue;
		}
		if (is_space(cp)) {
			pending_space = 1;
			i += len;
			continue;
		}
		if (is_dropped(cp)) {
			i += len;
			continue;
		}
		if (pending_space && o > 0)
			out[o++] = ' ';
		pending_space = 0;
		if (cp >= 'A' && cp <= 'Z')
			out[o++] = (char)(cp - 'A' + 'a');
		else if ((base = viet_base(cp)) != 0)
			out[o++] = base;
		else
			put_lower(out, &o, cp, s + i, len);
		i += len;
	}
	out[o] = '\0';
	return out;
}
