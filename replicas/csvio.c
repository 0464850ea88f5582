/*
 * csvio.c - CSV import and export of one table, over libcsv.
 *
 * Import streams the file through libcsv in chunks; each record is checked
 * and written as soon as it is complete, inside one store transaction that
 * is committed only when no row was bad (and never on a dry run).  After a
 * bad row, the remaining rows are still checked so that the officer gets
 * every problem in one go; the store is only asked to write rows that
 * passed the checks done here, and not at all after it failed in a way
 * that is not a plain validation error.
 *
 * Line numbers: libcsv does not count lines, so we do: CSV_REPALL_NL makes
 * it report every line end outside a record (a blank line, the LF of a
 * CRLF) as an empty record, and newlines inside quoted fields are counted
 * from the field text.  A record's line is the line where it starts.
 */
#include "replicas/csvio.h"

#include <csv.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "replicas/err.h"
#include "replicas/validate.h"

#include "replicas/banned.h"

#define MAX_FIELDS 256
#define CHUNK (64 * 1024)
#define ID_FIELD (-1)
#define NO_FIELD (-2)

/* citizen ids seen in the file: canonical id -> line */
struct seen {
	char **keys;
	long *lines;
	size_t cap, n;
};

struct imp {
	struct store *s;
	const struct table_desc *t;
	const struct csvio_import_opts *o;
	struct csvio_report *rep;
	int max_messages;
	int header_done, fatal, store_broken;
	int map[MAX_FIELDS];                 /* field -> column, ID_FIELD, NO_FIELD */
	int nheader;
	int colfield[SCHEMA_MAX_COLUMNS];    /* column -> field or -1 */
	int idfield;
	int citizen_col;
	char *canon[SCHEMA_MAX_COLUMNS];     /* validated values of the row */
	size_t canon_sz[SCHEMA_MAX_COLUMNS];
	char *fields[MAX_FIELDS];
	size_t lens[MAX_FIELDS];
	int nf, too_many;
	long line, rowlines;
	int pending_cr;
	struct seen seen;
	char scope[STORE_CODE_MAX];
};

static void add_error(struct imp *im, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void add_error(struct imp *im, const char *fmt, ...)
{
	struct csvio_report *rep = im->rep;
	va_list ap;
	char *m = NULL;

	rep->nerrors++;
	if (rep->nmessages >= im->max_messages)
		return;
	va_start(ap, fmt);
	if (vasprintf(&m, fmt, ap) < 0)
		m = NULL;
	va_end(ap);
	if (!m)
		return;
	if (!rep->messages) {
		rep->messages = calloc((size_t)im->max_messages, sizeof(char *));
		if (!rep->messages) {
			free(m);
			return;
		}
	}
	rep->messages[rep->nmessages++] = m;
}

void csvio_report_release(struct csvio_report *rep)
{
	if (!rep)
		return;
	for (int i = 0; i < rep->nmessages; i++)
		free(rep->messages[i]);
	free(rep->messages);
	memset(rep, 0, sizeof(*rep));
}

/* ---- the set of citizen ids seen ------------------------------------- */

static uint64_t hash(const char *s)
{
	uint64_t h = 1469598103934665603ull;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

/* Returns the line where key was first seen, or 0 after adding it at line
 * (or -1 when out of memory). */
static long seen_add(struct seen *se, const char *key, long line)
{
	size_t i;

	if (2 * (se->n + 1) > se->cap) {
		struct seen big = { 0 };

		big.cap = se->cap ? se->cap * 2 : 1024;
		big.keys = calloc(big.cap, sizeof(char *));
		big.lines = calloc(big.cap, sizeof(long));
		if (!big.keys || !big.lines) {
			free(big.keys);
			free(big.lines);
			return -1;
		}
		for (size_t j = 0; j < se->cap; j++) {
			if (!se->keys[j])
				continue;
			for (i = hash(se->keys[j]) & (big.cap - 1); big.keys[i];
			     i = (i + 1) & (big.cap - 1))
				;
			big.keys[i] = se->keys[j];
			big.lines[i] = se->lines[j];
		}
		big.n = se->n;
		free(se->keys);
		free(se->lines);
		*se = big;
	}
	for (i = hash(key) & (se->cap - 1); se->keys[i]; i = (i + 1) & (se->cap - 1))
		if (strcmp(se->keys[i], key) == 0)
			return se->lines[i];
	se->keys[i] = strdup(key);
	if (!se->keys[i])
		return -1;
	se->lines[i] = line;
	se->n++;
	return 0;
}

static void seen_release(struct seen *se)
{
	for (size_t i = 0; i < se->cap; i++)
		free(se->keys[i]);
	free(se->keys);
	free(se->lines);
}

/* ---- header ------------------------------------------------------------ */

static void trim(char *s)
{
	size_t n = strlen(s), a = 0;

	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		s[--n] = '\0';
	while (s[a] == ' ' || s[a] == '\t')
		a++;
	memmove(s, s + a, n - a + 1);
}

static void unknown_header(struct imp *im, const char *h)
{
	char list[2048];
	size_t n = (size_t)snprintf(list, sizeof(list), "id");

	for (int i = 0; i < im->t->ncols && n < sizeof(list); i++)
		n += (size_t)snprintf(list + n, sizeof(list) - n, ", %s (%s)",
				      im->t->cols[i].name, im->t->cols[i].label_vi);
	add_error(im, "line %ld: unknown column '%s' in the header; table '%s' "
		  "accepts: %s", im->line, h, im->t->name, list);
}

static int is_id_header(const char *h)
{
	return strcasecmp(h, "id") == 0 || strcmp(h, "Mã") == 0 ||
	       strcmp(h, "mã") == 0;
}

static void do_header(struct imp *im, long line)
{
	im->header_done = 1;
	im->nheader = im->nf;
	for (int i = 0; i < im->nf; i++) {
		char *h = im->fields[i];
		int c;

		trim(h);
		if (h[0] == '\0') {
			im->map[i] = NO_FIELD;
		} else if (is_id_header(h)) {
			if (im->idfield >= 0)
				add_error(im, "line %ld: column 'id' appears twice in the header", line);
			im->map[i] = ID_FIELD;
			im->idfield = i;
		} else if ((c = schema_column_find(im->t, h, true)) >= 0) {
			if (im->colfield[c] >= 0)
				add_error(im, "line %ld: column '%s' appears twice in the header",
					  line, im->t->cols[c].name);
			im->map[i] = c;
			im->colfield[c] = i;
		} else {
			im->line = line;
			unknown_header(im, h);
			im->map[i] = NO_FIELD;
		}
	}
	/* without ids every row is a new record: required columns must be there */
	for (int c = 1; im->idfield < 0 && c < im->t->ncols; c++)
		if ((im->t->cols[c].flags & COL_REQUIRED) && im->colfield[c] < 0)
			add_error(im, "line %ld: required column '%s' (%s) is missing "
				  "from the header", line, im->t->cols[c].name,
				  im->t->cols[c].label_vi);
	if (im->rep->nerrors > 0)
		im->fatal = 1;
}

/* ---- rows ---------------------------------------------------------------- */

/* Validates the row's fields into im->canon; vals[c] points at the value,
 * "" for an empty cell, NULL for a column not in the file.  Returns the
 * number of errors. */
static int check_fields(struct imp *im, long line, const char **vals)
{
	int bad = 0;

	for (int c = 0; c < im->t->ncols; c++) {
		const struct column_desc *cd = &im->t->cols[c];
		int f = im->colfield[c], r;

		vals[c] = NULL;
		if (f < 0 || f >= im->nf)
			continue;
		if (!validate_utf8(im->fields[f], im->lens[f])) {
			add_error(im, "line %ld, field '%s': the value is not valid "
				  "UTF-8 text (save the file as CSV UTF-8)", line, cd->name);
			bad++;
			continue;
		}
		r = validate_value(cd, im->fields[f], im->canon[c], im->canon_sz[c]);
		if (r < 0) {
			add_error(im, "line %ld, %s", line, err_msg());
			bad++;
		} else if (r == 1 && (cd->flags & COL_REQUIRED) && c > 0) {
			add_error(im, "line %ld, field '%s': a value is required", line,
				  cd->name);
			bad++;
		} else {
			vals[c] = r == 1 ? "" : im->canon[c];
		}
	}
	return bad;
}

struct found {
	char id[STORE_ID_LEN + 1];
	char name[128];
};

static int found_cb(void *ctx, const struct record *r)
{
	struct found *fd = ctx;
	int nc = schema_column_find(r->t, "full_name", false);

	snprintf(fd->id, sizeof(fd->id), "%s", r->id);
	snprintf(fd->name, sizeof(fd->name), "%s", nc >= 0 && r->vals[nc] ? r->vals[nc] : "");
	return 1;
}

/* 1 if the record row_id exists and already has citizen id v: a duplicate
 * accepted earlier (--force) is not refused again when its row comes back
 * in an edited export. */
static int unchanged_citizen(struct imp *im, const char *row_id, const char *v)
{
	struct record *rec = NULL;
	int same_value = 0;

	if (strlen(row_id) != STORE_ID_LEN ||
	    store_get(im->s, im->t, row_id, 0, &rec) != 0)
		return 0;
	same_value = rec->vals[im->citizen_col] &&
		     strcmp(rec->vals[im->citizen_col], v) == 0;
	record_free(rec);
	return same_value;
}

/* Duplicate citizen ids, in the file and against the replica. */
static int check_citizen(struct imp *im, long line, const char *v,
			 const char *row_id)
{
	struct store_filter f = { im->citizen_col, v };
	struct found fd = { "", "" };
	long first;

	if (im->o->force || im->citizen_col < 0 || !v || !*v)
		return 0;
	if (row_id && unchanged_citizen(im, row_id, v))
		return 0;
	first = seen_add(&im->seen, v, line);
	if (first < 0) {
		add_error(im, "line %ld: out of memory", line);
		return 1;
	}
	if (first > 0) {
		add_error(im, "line %ld, field 'citizen_id': '%s' is also on line %ld "
			  "(use --force to import duplicates)", line, v, first);
		return 1;
	}
	if (store_list(im->s, im->t, &f, 1, 2, found_cb, &fd) < 0) {
		add_error(im, "line %ld: %s", line, err_msg());
		return 1;
	}
	if (fd.id[0] && (!row_id || strcmp(fd.id, row_id) != 0)) {
		add_error(im, "line %ld, field 'citizen_id': '%s' is already registered "
			  "to %s (id %s) (use --force to import duplicates)",
			  line, v, fd.name, fd.id);
		return 1;
	}
	return 0;
}

static void store_failed(struct imp *im, long line)
{
	int code = err_last();

	add_error(im, "line %ld: %s", line, err_msg());
	if (code != ERR_INVALID && code != ERR_NOTFOUND && code != ERR_EXISTS &&
	    code != ERR_SCOPE)
		im->store_broken = 1;
}

static int same(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "") == 0;
}

/* Applies a row whose id names an existing record: only what differs. */
static void update_row(struct imp *im, long line, const struct record *rec,
		       const char **vals)
{
	const char *upd[SCHEMA_MAX_COLUMNS] = { 0 };
	int changes = 0;

	if (vals[0] && *vals[0] && !same(vals[0], rec->vals[0])) {
		add_error(im, "line %ld, field 'ward': '%s' differs from the record's "
			  "ward '%s'; a record cannot move to another ward (use a "
			  "transfer)", line, vals[0], rec->vals[0] ? rec->vals[0] : "");
		return;
	}
	for (int c = 1; c < im->t->ncols; c++)
		if (vals[c] && !same(vals[c], rec->vals[c])) {
			upd[c] = vals[c];
			changes++;
		}
	if (!changes) {
		im->rep->unchanged++;
		return;
	}
	if (store_update(im->s, im->t, rec->id, upd) != 0)
		store_failed(im, line);
	else
		im->rep->updated++;
}

static void write_row(struct imp *im, long line, const char *id,
		      const char **vals)
{
	struct record *rec = NULL;

	if (id && store_get(im->s, im->t, id, 1, &rec) == 0) {
		if (rec->deleted)
			add_error(im, "line %ld, field 'id': record '%s' was deleted; "
				  "leave the id empty to add it again", line, id);
		else
			update_row(im, line, rec, vals);
		record_free(rec);
		return;
	}
	for (int c = 0; c < im->t->ncols; c++)
		if (vals[c] && !*vals[c])
			vals[c] = NULL;
	if (!vals[0])
		vals[0] = im->scope;
	if (store_insert(im->s, im->t, vals, id, NULL) != 0)
		store_failed(im, line);
	else
		im->rep->inserted++;
}

static int row_blank(const struct imp *im)
{
	for (int i = 0; i < im->nf; i++)
		for (const char *p = im->fields[i]; *p; p++)
			if (*p != ' ' && *p != '\t')
				return 0;
	return 1;
}

static void do_row(struct imp *im, long line)
{
	const char *vals[SCHEMA_MAX_COLUMNS];
	char *id = NULL;
	int bad;

	if (row_blank(im))
		return;
	if (++im->rep->rows % CSVIO_PROGRESS_EVERY == 0 && im->o->progress)
		im->o->progress(im->o->progress_ctx, im->rep->rows);
	if (im->too_many || im->nf > im->nheader) {
		for (int i = im->nheader; i < im->nf && !im->too_many; i++)
			if (im->fields[i][0]) {
				add_error(im, "line %ld: %d fields, but the header has %d "
					  "(a comma inside a value needs quotes)", line,
					  im->too_many ? MAX_FIELDS : im->nf, im->nheader);
				return;
			}
		if (im->too_many) {
			add_error(im, "line %ld: more than %d fields", line, MAX_FIELDS);
			return;
		}
	}
	for (int i = 0; i < im->nf && i < im->nheader; i++)
		if (im->map[i] == NO_FIELD && im->fields[i][0]) {
			add_error(im, "line %ld: a value in column %d, which has no header",
				  line, i + 1);
			return;
		}
	bad = check_fields(im, line, vals);
	if (im->idfield >= 0 && im->idfield < im->nf) {
		id = im->fields[im->idfield];
		trim(id);
		if (!*id)
			id = NULL;
		else if (strlen(id) != STORE_ID_LEN) {
			add_error(im, "line %ld, field 'id': '%s' is not a record id "
				  "(36 characters, as exported)", line, id);
			bad++;
		}
	}
	if (im->citizen_col >= 0)
		bad += check_citizen(im, line, vals[im->citizen_col], id);
	if (bad || im->store_broken)
		return;
	write_row(im, line, id, vals);
}

/* ---- libcsv callbacks ------------------------------------------------- */

static void on_field(void *s, size_t len, void *data)
{
	struct imp *im = data;
	char *copy;

	const char *in = s;
	size_t n = 0;

	if (im->nf >= MAX_FIELDS) {
		im->too_many = 1;
		return;
	}
	copy = malloc(len + 1);
	if (!copy) {
		im->fatal = 1;
		return;
	}
	/* line ends inside a quoted value become '\n', whatever the file used */
	for (size_t i = 0; i < len; i++) {
		if (in[i] == '\r' && i + 1 < len && in[i + 1] == '\n')
			continue;
		copy[n] = in[i] == '\r' ? '\n' : in[i];
		im->rowlines += copy[n++] == '\n';
	}
	copy[n] = '\0';
	im->fields[im->nf] = copy;
	im->lens[im->nf++] = n;
}

static void on_record(int c, void *data)
{
	struct imp *im = data;
	long start = im->line;

	if (im->nf == 0 && !im->too_many) {
		/* a line end outside any record: a blank line, or CRLF's LF */
		if (!(c == '\n' && im->pending_cr))
			im->line++;
		im->pending_cr = c == '\r';
		return;
	}
	im->line += im->rowlines + (c >= 0 ? 1 : 0);
	im->pending_cr = c == '\r';
	im->rowlines = 0;
	if (!im->fatal) {
		if (!im->header_done)
			do_header(im, start);
		else
			do_row(im, start);
	}
	for (int i = 0; i < im->nf; i++)
		free(im->fields[i]);
	im->nf = 0;
	im->too_many = 0;
}

/* ';' when the first line has semicolons and no commas (outside quotes). */
static unsigned char guess_delim(const char *buf, size_t n)
{
	int quoted = 0, commas = 0, semis = 0;

	for (size_t i = 0; i < n && (quoted || (buf[i] != '\n' && buf[i] != '\r')); i++) {
		if (buf[i] == '"')
			quoted = !quoted;
		else if (!quoted && buf[i] == ',')
			commas++;
		else if (!quoted && buf[i] == ';')
			semis++;
	}
	return semis > 0 && commas == 0 ? ';' : ',';
}

static int setup(struct imp *im)
{
	const char *scope = im->o->default_scope ? im->o->default_scope
						 : store_node_code(im->s);

	im->max_messages = im->o->max_messages > 0 ? im->o->max_messages
						   : CSVIO_MAX_MESSAGES;
	im->idfield = -1;
	im->line = 1;
	snprintf(im->scope, sizeof(im->scope), "%s", scope);
	im->citizen_col = -1;
	for (int c = 0; c < im->t->ncols; c++) {
		const struct column_desc *cd = &im->t->cols[c];

		im->colfield[c] = -1;
		if (cd->type == COL_CITIZEN_ID)
			im->citizen_col = c;
		im->canon_sz[c] = cd->type == COL_TEXT
			? 4 * (size_t)(cd->max_len ? cd->max_len : 200) + 16 : 256;
		im->canon[c] = malloc(im->canon_sz[c]);
		if (!im->canon[c])
			return err_set(ERR_NOMEM, "out of memory");
	}
	return 0;
}

/* Feeds the whole file through the parser. */
static int parse_file(struct imp *im, FILE *f, const char *path)
{
	struct csv_parser p;
	char *buf = malloc(CHUNK);
	int rc = ERR_NOMEM, first = 1;
	size_t n;

	if (!buf || csv_init(&p, CSV_REPALL_NL | CSV_APPEND_NULL) != 0) {
		free(buf);
		return err_set(ERR_NOMEM, "out of memory");
	}
	while ((n = fread(buf, 1, CHUNK, f)) > 0) {
		const char *at = buf;

		if (first) {
			if (n >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0) {
				at += 3;
				n -= 3;
			}
			csv_set_delim(&p, guess_delim(at, n));
			first = 0;
		}
		if (csv_parse(&p, at, n, on_field, on_record, im) != n) {
			rc = err_set(ERR_INVALID, "cannot import '%s': line %ld: %s",
				     path, im->line, csv_strerror(csv_error(&p)));
			goto done;
		}
		if (im->fatal)
			break;
	}
	if (ferror(f)) {
		rc = err_set(ERR_IO, "cannot read '%s': %s", path, strerror(errno));
		goto done;
	}
	csv_fini(&p, on_field, on_record, im);
	rc = 0;
done:
	for (int i = 0; i < im->nf; i++)
		free(im->fields[i]);
	im->nf = 0;
	csv_free(&p);
	free(buf);
	return rc;
}

int csvio_import(struct store *s, const struct table_desc *t,
		 const char *path, const struct csvio_import_opts *o,
		 struct csvio_report *rep)
{
	struct imp im = { .s = s, .t = t, .o = o, .rep = rep };
	FILE *f = NULL;
	int rc, began = 0;

	memset(rep, 0, sizeof(*rep));
	if ((rc = setup(&im)) != 0)
		goto done;
	f = fopen(path, "rb");
	if (!f) {
		rc = err_set(ERR_IO, "cannot open '%s': %s", path, strerror(errno));
		goto done;
	}
	if ((rc = store_begin(s, o->operator_name, o->reason)) != 0)
		goto done;
	began = 1;
	if ((rc = parse_file(&im, f, path)) != 0)
		goto done;
	if (!im.header_done)
		add_error(&im, "line 1: the file is empty; the first line must name "
			  "the columns");
	if (rep->nerrors > 0) {
		rc = err_set(ERR_INVALID, "cannot import '%s': %ld error%s, nothing "
			     "imported", path, rep->nerrors, rep->nerrors == 1 ? "" : "s");
		goto done;
	}
	if (o->dry_run)
		goto done;
	began = 0;
	if ((rc = store_commit(s)) != 0)
		err_wrap(rc, "cannot import '%s'", path);
done:
	if (began)
		store_rollback(s);
	if (f)
		fclose(f);
	for (int c = 0; c < t->ncols; c++)
		free(im.canon[c]);
	seen_release(&im.seen);
	return rc;
}

/* ---- export ------------------------------------------------------------ */

struct exp {
	FILE *f;
	const struct csvio_export_opts *o;
	long count;
	int failed;
};

static int skip_col(const struct exp *ex, const struct column_desc *c)
{
	return ex->o->omit_sensitive && (c->flags & COL_SENSITIVE);
}

static int put_field(FILE *f, const char *v, int first)
{
	if (!first && fputc(',', f) == EOF)
		return -1;
	return csv_fwrite(f, v ? v : "", v ? strlen(v) : 0);
}

static int export_cb(void *ctx, const struct record *r)
{
	struct exp *ex = ctx;

	if (put_field(ex->f, r->id, 1) != 0)
		goto fail;
	for (int c = 0; c < r->t->ncols; c++)
		if (!skip_col(ex, &r->t->cols[c]) &&
		    put_field(ex->f, r->vals[c], 0) != 0)
			goto fail;
	if (fputs("\r\n", ex->f) == EOF)
		goto fail;
	ex->count++;
	return 0;
fail:
	ex->failed = 1;
	return 1;
}

int csvio_export(struct store *s, const struct table_desc *t, FILE *f,
		 const struct csvio_export_opts *o, long *count)
{
	static const struct csvio_export_opts defaults = { 0 };
	struct exp ex = { .f = f, .o = o ? o : &defaults };
	int rc, bad = 0;

	if (!ex.o->no_bom)
		bad |= fputs("\xef\xbb\xbf", f) == EOF;
	bad |= put_field(f, "id", 1) != 0;
	for (int c = 0; c < t->ncols; c++)
		if (!skip_col(&ex, &t->cols[c]))
			bad |= put_field(f, ex.o->labels ? t->cols[c].label_vi
							 : t->cols[c].name, 0) != 0;
	bad |= fputs("\r\n", f) == EOF;
	if (bad)
		return err_set(ERR_IO, "cannot write the csv: %s", strerror(errno));
	rc = store_list(s, t, ex.o->filters, ex.o->nfilters, 0, export_cb, &ex);
	if (ex.failed)
		return err_set(ERR_IO, "cannot write the csv: %s", strerror(errno));
	if (rc < 0)
		return rc;
	if (count)
		*count = ex.count;
	return 0;
}
