/*
 * csvio.h - CSV import and export of one table (libcsv), through the store.
 *
 * Import is all-or-nothing: the whole file is one store transaction, and
 * any bad row rolls everything back.  Every bad row is reported (line,
 * field, value, rule), not just the first.  Headers are column names or
 * Vietnamese (or English) labels; an "id" column makes a row whose id
 * exists an update of that record (only the columns that differ change),
 * so an exported file edited in a spreadsheet can be imported back.
 * Input is UTF-8 with or without a BOM; the delimiter is ',' or, when the
 * header line has ';' and no ',', ';' (Excel in some locales).
 *
 * Export writes a UTF-8 BOM, the header (column names, or Vietnamese
 * labels), the id column first, every field quoted, CRLF line ends: what
 * LibreOffice and Excel open with the diacritics intact.
 *
 * Nothing here prints: progress goes to a callback, errors to the report.
 */
#ifndef TAPHOP_CSVIO_H
#define TAPHOP_CSVIO_H

#include <stdio.h>

#include "replicas/store.h"

#define CSVIO_PROGRESS_EVERY 10000 /* rows between progress callbacks */
#define CSVIO_MAX_MESSAGES 50      /* default number of messages kept */

struct csvio_import_opts {
	int dry_run;               /* check everything, store nothing */
	int force;                 /* allow duplicate citizen ids */
	const char *operator_name; /* required */
	const char *reason;        /* may be NULL */
	const char *default_scope; /* ward for rows without one; NULL: the node's */
	int max_messages;          /* messages kept in the report; 0: default */
	/* called every CSVIO_PROGRESS_EVERY rows; may be NULL */
	void (*progress)(void *ctx, long rows);
	void *progress_ctx;
};

struct csvio_report {
	long rows;          /* data rows read */
	long inserted, updated, unchanged;
	long nerrors;       /* every error found */
	char **messages;    /* the first max_messages ones, e.g.
			     * "line 12, field 'birth_date': '31/02/2001' is not a real date" */
	int nmessages;
};

/*
 * Imports the CSV file at path into table t of s (s must have no open
 * transaction).  Returns 0 when every row was valid and stored (or, with
 * dry_run, would have been); ERR_INVALID when the file had bad rows, with
 * rep->messages saying which, and nothing stored; another code for I/O or
 * store failures (err_msg()).  rep is filled in every case; release it with
 * csvio_report_release().
 */
int csvio_import(struct store *s, const struct table_desc *t,
		 const char *path, const struct csvio_import_opts *o,
		 struct csvio_report *rep);

void csvio_report_release(struct csvio_report *rep);

struct csvio_export_opts {
	int labels;               /* Vietnamese labels as headers */
	int omit_sensitive;       /* leave out ethnicity, religion, disability */
	int no_bom;               /* leave out the UTF-8 BOM */
	const struct store_filter *filters;
	int nfilters;
};

/* Writes the live records of t to f as CSV; *count (may be NULL) gets the
 * number of records written.  ERR_IO when writing fails. */
int csvio_export(struct store *s, const struct table_desc *t, FILE *f,
		 const struct csvio_export_opts *o, long *count);

#endif
