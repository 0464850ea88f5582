/*
 * validate.h - validation of single values against a column's declaration.
 *
 * Messages are written for officers: they name the field, the value and
 * the rule, e.g.
 *   field 'birth_date': '2001-02-31' is not a real date (YYYY-MM-DD)
 *   field 'citizen_id': '07912345678' must be exactly 12 digits
 *   field 'gender': 'nam' is not one of: male, female, other
 * Sensitive columns (COL_SENSITIVE) are validated like others; the message
 * may show the value since it goes only to the user typing it, never a log.
 */
#ifndef TAPHOP_VALIDATE_H
#define TAPHOP_VALIDATE_H

#include <stddef.h>

#include "replicas/schema.h"

/*
 * Checks in (NUL-terminated, from a user, a file or a peer) against column c
 * and writes the canonical stored form to out (size outsz; always enough at
 * 4 * max_len + 16 bytes, or 256 for non-text).  Canonical forms: dates
 * YYYY-MM-DD, phones 0xxxxxxxxx (+84 / 84 prefixes folded), bools "0"/"1",
 * ints in decimal, text trimmed of leading/trailing white space and NFC as
 * given.  An empty string (after trimming) means "no value": returns 1 and
 * leaves out empty, so the caller stores NULL (and enforces COL_REQUIRED).
 * Returns 0 when valid, 1 when empty, or ERR_INVALID with err_set() naming
 * the field, the value and the rule.
 */
int validate_value(const struct column_desc *c, const char *in, char *out,
		   size_t outsz);

/* 1 if s (length n) is valid UTF-8 with no NUL and no C0 control other than
 * tab and newline, else 0. */
int validate_utf8(const char *s, size_t n);

/* Number of UTF-8 characters (code points) in valid UTF-8 s. */
size_t validate_utf8_len(const char *s);

/* 1 if the three-digit code is a real province/city code of a CCCD. */
int validate_province_code(int code);

/* 1 if y-m-d is a real calendar date. */
int validate_date_real(int y, int m, int d);

#endif
