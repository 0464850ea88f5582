/*
 * output.c - text tables, value and record formatting, JSON output.
 *
 * Widths are counted in terminal columns, not bytes: "Nguyễn Văn Đức" is
 * 14 columns whether its marks are precomposed or combining.  This file
 * and cmd_*.c are the only users of jansson in the CLI.
 */
#include "cli/output.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "replicas/banned.h"

struct out_table {
	int ncols;
	char **cells;   /* rows * ncols, row 0 the headers */
	size_t nrows, cap;
};

void out_warn(const char *fmt, ...)
{
	va_list ap;

	fputs("taphop: warning: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* Decodes one UTF-8 code point at s; *len gets its byte length (1 for an
 * invalid byte, returned as itself). */
static unsigned utf8_next(const unsigned char *s, int *len)
{
	unsigned c = s[0];

	if (c < 0x80) {
		*len = 1;
		return c;
	}
	if ((c & 0xe0) == 0xc0 && (s[1] & 0xc0) == 0x80) {
		*len = 2;
		return ((c & 0x1f) << 6) | (s[1] & 0x3f);
	}
	if ((c & 0xf0) == 0xe0 && (s[1] & 0xc0) == 0x80 &&
	    (s[2] & 0xc0) == 0x80) {
		*len = 3;
		return ((c & 0x0f) << 12) | ((s[1] & 0x3fu) << 6) | (s[2] & 0x3f);
	}
	if ((c & 0xf8) == 0xf0 && (s[1] & 0xc0) == 0x80 &&
	    (s[2] & 0xc0) == 0x80 && (s[3] & 0xc0) == 0x80) {
		*len = 4;
		return ((c & 0x07) << 18) | ((s[1] & 0x3fu) << 12) |
		       ((s[2] & 0x3fu) << 6) | (s[3] & 0x3f);
	}
	*len = 1;
	return c;
}

static int cp_width(unsigned cp)
{
	if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0))
		return 0;
	if ((cp >= 0x300 && cp <= 0x36f) || (cp >= 0x1dc0 && cp <= 0x1dff) ||
	    (cp >= 0x20d0 && cp <= 0x20ff) || (cp >= 0xfe20 && cp <= 0xfe2f) ||
	    cp == 0x200b || cp == 0x200c || cp == 0x200d || cp == 0xfeff)
		return 0;
	if ((cp >= 0x1100 && cp <= 0x115f) || (cp >= 0x2e80 && cp <= 0xa4cf) ||
	    (cp >= 0xac00 && cp <= 0xd7a3) || (cp >= 0xf900 && cp <= 0xfaff) ||
	    (cp >= 0xfe30 && cp <= 0xfe4f) || (cp >= 0xff00 && cp <= 0xff60) ||
	    (cp >= 0xffe0 && cp <= 0xffe6) || (cp >= 0x1f300 && cp <= 0x1faff) ||
	    (cp >= 0x20000 && cp <= 0x3fffd))
		return 2;
	return 1;
}

int out_width(const char *s)
{
	int w = 0, len;

	if (!s)
		return 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p += len)
		w += cp_width(utf8_next(p, &len));
	return w;
}

/* Prints s cut to at most maxw columns (with "…"), padded to pad columns. */
static void put_cell(FILE *f, const char *s, int maxw, int pad)
{
	int w = 0, len;
	const unsigned char *p = (const unsigned char *)(s ? s : "");

	if (out_width((const char *)p) <= maxw) {
		for (; *p; p += len) {
			unsigned cp = utf8_next(p, &len);
			/* a newline inside a cell would break the table */
			if (cp == '\n' || cp == '\r' || cp == '\t')
				fputc(' ', f);
			else
				fwrite(p, 1, (size_t)len, f);
			w += cp_width(cp) + (cp == '\n' || cp == '\r' || cp == '\t');
		}
	} else {
		for (; *p; p += len) {
			unsigned cp = utf8_next(p, &len);
			int cw = cp == '\n' || cp == '\r' || cp == '\t' ? 1 : cp_width(cp);

			if (w + cw > maxw - 1)
				break;
			if (cw == 1 && cp < 0x20)
				fputc(' ', f);
			else
				fwrite(p, 1, (size_t)len, f);
			w += cw;
		}
		fputs("…", f);
		w++;
	}
	for (; w < pad; w++)
		fputc(' ', f);
}

struct out_table *out_table_new(int ncols, const char *const *headers)
{
	struct out_table *tb = calloc(1, sizeof(*tb));

	if (!tb)
		return NULL;
	tb->ncols = ncols;
	if (out_table_add(tb, headers) != 0) {
		free(tb);
		return NULL;
	}
	return tb;
}

int out_table_add(struct out_table *tb, const char *const *cells)
{
	if (tb->nrows == tb->cap) {
		size_t cap = tb->cap ? tb->cap * 2 : 16;
		char **c = realloc(tb->cells, cap * (size_t)tb->ncols * sizeof(*c));

		if (!c)
			return -1;
		tb->cells = c;
		tb->cap = cap;
	}
	for (int i = 0; i < tb->ncols; i++) {
		char *v = strdup(cells[i] ? cells[i] : "");

		if (!v) {
			for (int j = 0; j < i; j++)
				free(tb->cells[tb->nrows * (size_t)tb->ncols + (size_t)j]);
			return -1;
		}
		tb->cells[tb->nrows * (size_t)tb->ncols + (size_t)i] = v;
	}
	tb->nrows++;
	return 0;
}

void out_table_print(struct out_table *tb, FILE *f, int maxw)
{
	int w[64] = { 0 };
	int n = tb->ncols < 64 ? tb->ncols : 64;

	for (size_t r = 0; r < tb->nrows; r++)
		for (int i = 0; i < n; i++) {
			int cw = out_width(tb->cells[r * (size_t)tb->ncols + (size_t)i]);

			if (cw > maxw)
				cw = maxw;
			if (cw > w[i])
				w[i] = cw;
		}
	for (size_t r = 0; r < tb->nrows; r++) {
		int end = n; /* no padding after the last non-empty cell */

		while (end > 1 && !tb->cells[r * (size_t)tb->ncols + (size_t)end - 1][0])
			end--;
		for (int i = 0; i < end; i++) {
			int last = i == end - 1;

			put_cell(f, tb->cells[r * (size_t)tb->ncols + (size_t)i],
				 maxw, last ? 0 : w[i]);
			if (!last)
				fputs("  ", f);
		}
		fputc('\n', f);
	}
	fflush(f); /* before any count the caller prints on stderr */
}

void out_table_free(struct out_table *tb)
{
	if (!tb)
		return;
	for (size_t i = 0; i < tb->nrows * (size_t)tb->ncols; i++)
		free(tb->cells[i]);
	free(tb->cells);
	free(tb);
}

const char *out_value_text(const struct column_desc *c, const char *v)
{
	if (!v)
		return "";
	if (c->type == COL_BOOL)
		return strcmp(v, "0") == 0 ? "no" : "yes";
	return v;
}

void out_record_show(FILE *f, const struct record *r)
{
	const struct table_desc *t = r->t;
	int w = out_width("id");
	char label[256];

	for (int i = 0; i < t->ncols; i++) {
		snprintf(label, sizeof(label), "%s / %s", t->cols[i].label_vi,
			 t->cols[i].label_en);
		if (out_width(label) > w)
			w = out_width(label);
	}
	fprintf(f, "%s (%s / %s)%s\n", t->name, t->label_vi, t->label_en,
		r->deleted ? " [deleted]" : "");
	put_cell(f, "id", 1000, w);
	fprintf(f, "  %s\n", r->id);
	for (int i = 0; i < t->ncols; i++) {
		snprintf(label, sizeof(label), "%s / %s", t->cols[i].label_vi,
			 t->cols[i].label_en);
		put_cell(f, label, 1000, w);
		fprintf(f, "  %s\n", out_value_text(&t->cols[i], r->vals[i]));
	}
}

json_t *out_record_json(const struct record *r)
{
	const struct table_desc *t = r->t;
	json_t *o = json_object();

	if (!o)
		return NULL;
	json_object_set_new(o, "id", json_string(r->id));
	json_object_set_new(o, "table", json_string(t->name));
	for (int i = 0; i < t->ncols; i++) {
		const struct column_desc *c = &t->cols[i];
		const char *v = r->vals[i];
		json_t *jv;

		if (!v)
			jv = json_null();
		else if (c->type == COL_INT)
			jv = json_integer(strtoll(v, NULL, 10));
		else if (c->type == COL_BOOL)
			jv = json_boolean(strcmp(v, "0") != 0);
		else
			jv = json_stringn(v, strlen(v));
		json_object_set_new(o, c->name, jv ? jv : json_null());
	}
	if (r->deleted)
		json_object_set_new(o, "deleted", json_true());
	return o;
}

int out_json_print(json_t *j)
{
	int rc;

	if (!j) {
		fputs("taphop: out of memory\n", stderr);
		return 1;
	}
	rc = json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(j);
	if (rc != 0) {
		fputs("taphop: cannot write json output\n", stderr);
		return 1;
	}
	fputc('\n', stdout);
	return 0;
}

void out_time(uint64_t ms, char *buf, size_t bufsz)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (!localtime_r(&t, &tm) ||
	    strftime(buf, bufsz, "%Y-%m-%d %H:%M:%S", &tm) == 0)
		snprintf(buf, bufsz, "%llu", (unsigned long long)ms);
}

void out_hex(const unsigned char *p, size_t n, char *buf)
{
	static const char hex[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		buf[2 * i] = hex[p[i] >> 4];
		buf[2 * i + 1] = hex[p[i] & 15];
	}
	buf[2 * n] = '\0';
}

const char *out_operator(const struct cli_ctx *ctx)
{
	const char *s = ctx ? ctx->operator_name : NULL;

	if (s && *s)
		return s;
	s = getenv("TAPHOP_OPERATOR");
	if (s && *s)
		return s;
	s = getenv("USER");
	if (s && *s)
		return s;
	return "unknown";
}
