/*
 * schema.h - the one declaration of every domain table.
 *
 * Each table is a struct table_desc holding an array of struct column_desc.
 * That declaration drives the DDL, validation, the CLI's flags and --help,
 * CSV headers, JSON output and the archive's file layout.  Adding a column is
 * one line in schema.c plus a migration step there.
 *
 * Every table has, besides its declared columns, the hidden columns
 *   id       TEXT PRIMARY KEY  -- 36-char UUIDv7, made offline
 *   _deleted INTEGER           -- tombstone, merged like any column
 *   _clk     BLOB              -- per-column HLC stamps (see store.c)
 * Column 0 of every table is "ward": the record's scope (a ward code, or the
 * district's code for district-wide records).
 */
#ifndef TAPHOP_SCHEMA_H
#define TAPHOP_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>

#define SCHEMA_VERSION 2
#define SCHEMA_MAX_COLUMNS 24

enum col_type {
	COL_TEXT,       /* free text, valid UTF-8, max_len characters */
	COL_INT,        /* integer within [min, max] */
	COL_BOOL,       /* 0 or 1 (accepts yes/no, true/false, có/không) */
	COL_DATE,       /* YYYY-MM-DD, a real date within [1900-01-01, 2100-12-31] */
	COL_ENUM,       /* one of enum_values */
	COL_REF,        /* the id of a record of ref_table */
	COL_CITIZEN_ID, /* CCCD: 12 digits, first 3 a real province code */
	COL_PHONE,      /* Vietnamese phone number, stored normalised 0xxxxxxxxx */
	COL_SCOPE,      /* a ward code or the district code */
};

/* Column flags. */
#define COL_REQUIRED  0x01u
#define COL_SENSITIVE 0x02u /* ethnicity, religion, disability: never logged */
#define COL_IMMUTABLE 0x04u /* may not change after insert (the scope) */
#define COL_PAST      0x08u /* a date that cannot be in the future (birth) */

struct column_desc {
	const char *name;      /* snake_case; CLI flag is --name-with-dashes */
	enum col_type type;
	unsigned flags;
	const char *label_vi;  /* Vietnamese label, also accepted as CSV header */
	const char *label_en;
	const char *const *enum_values; /* NULL-terminated, for COL_ENUM */
	const char *ref_table; /* for COL_REF */
	long long min, max;    /* for COL_INT */
	int max_len;           /* characters, for COL_TEXT (0 = 200) */
	const char *help;      /* one line for --help; may be NULL */
};

/* Which nodes may write a table's records in a scope above their own. */
enum table_rights {
	RIGHTS_OWN_SCOPE,      /* wards write only their own scope */
	RIGHTS_SHARED,         /* wards may also write district-wide records */
	RIGHTS_HUB_ONLY,       /* only the hub writes (e.g. targets) */
};

struct table_desc {
	const char *name;      /* SQL table name, e.g. "support_case" */
	const char *label_vi;
	const char *label_en;
	enum table_rights rights;
	const struct column_desc *cols;
	int ncols;             /* declared columns; col 0 is the scope */
	const char *title_col; /* column that names a record in lists */
};

/* All tables, in dependency order. */
extern const struct table_desc *const schema_tables[];
extern const int schema_ntables;

/* The table named name (accepts '-' for '_'), or NULL. */
const struct table_desc *schema_table_find(const char *name);

/* Index of the column named name (or whose Vietnamese label matches, when
 * by_label), or -1.  Accepts '-' for '_'. */
int schema_column_find(const struct table_desc *t, const char *name,
		       bool by_label);

/* Index of t in schema_tables, or -1. */
int schema_table_index(const struct table_desc *t);

/* The CREATE TABLE and CREATE INDEX statements for t, malloc'd. */
char *schema_table_ddl(const struct table_desc *t);

/* The ward codes the product knows (Bình Tân), NULL-terminated, and names. */
extern const char *const schema_ward_codes[];
extern const char *const schema_ward_names[];
#define SCHEMA_DEFAULT_DISTRICT "binh-tan"

/* A printable name for a type ("date", "12-digit citizen id", ...). */
const char *schema_type_name(enum col_type type);

#endif
