/*
 * test_validate.c - unit tests for replicas/validate.c: every column type
 * with good and bad input, the canonical forms, and that each message
 * names the field, the value and the rule.  The columns are declared here,
 * not taken from schema.c.
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "replicas/err.h"
#include "replicas/validate.h"
#include "replicas/banned.h"

static const char *const genders[] = { "male", "female", "other", NULL };
static const char *const kinds[] = { "branch_school", "branch_private",
				     "club", NULL };

static const struct column_desc c_name = {
	.name = "full_name", .type = COL_TEXT, .max_len = 10,
};
static const struct column_desc c_note = { .name = "note", .type = COL_TEXT };
static const struct column_desc c_amount = {
	.name = "amount", .type = COL_INT, .min = 0, .max = 1000000000,
};
static const struct column_desc c_delta = {
	.name = "delta", .type = COL_INT, .min = -10, .max = 10,
};
static const struct column_desc c_any_int = { .name = "n", .type = COL_INT };
static const struct column_desc c_bool = {
	.name = "is_member", .type = COL_BOOL,
};
static const struct column_desc c_date = {
	.name = "birth_date", .type = COL_DATE,
};
static const struct column_desc c_gender = {
	.name = "gender", .type = COL_ENUM, .enum_values = genders,
};
static const struct column_desc c_kind = {
	.name = "kind", .type = COL_ENUM, .enum_values = kinds,
};
static const struct column_desc c_ref = {
	.name = "unit_id", .type = COL_REF, .ref_table = "unit",
};
static const struct column_desc c_cccd = {
	.name = "citizen_id", .type = COL_CITIZEN_ID, .flags = COL_SENSITIVE,
};
static const struct column_desc c_phone = {
	.name = "phone", .type = COL_PHONE,
};
static const struct column_desc c_scope = {
	.name = "ward", .type = COL_SCOPE, .flags = COL_IMMUTABLE,
};

#define OK(c, in, want) check_ok(&(c), (in), (want), __LINE__)
#define BAD(c, in, shown, rule) check_bad(&(c), (in), (shown), (rule), __LINE__)
#define MSG(c, in, want) check_msg(&(c), (in), (want), __LINE__)

static void check_ok(const struct column_desc *c, const char *in,
		     const char *want, int line)
{
	char out[1024];
	int rc = validate_value(c, in, out, sizeof(out));

	if (rc != 0 || strcmp(out, want) != 0) {
		print_error("line %d: %s '%s': rc %d out '%s' (%s), "
			    "want '%s'\n",
			    line, c->name, in, rc, rc == 0 ? out : "", err_msg(),
			    want);
		fail();
	}
}

/*
 * The value must be rejected with ERR_INVALID, out left as it was, and a
 * message "field '<name>': '<shown>' ..." that contains rule.
 */
static void check_bad(const struct column_desc *c, const char *in,
		      const char *shown, const char *rule, int line)
{
	char out[1024] = "untouched", head[512];
	int rc;

	err_clear();
	rc = validate_value(c, in, out, sizeof(out));
	snprintf(head, sizeof(head), "field '%s': '%s' ", c->name, shown);
	if (rc != ERR_INVALID || err_last() != ERR_INVALID ||
	    strcmp(out, "untouched") != 0 ||
	    strncmp(err_msg(), head, strlen(head)) != 0 ||
	    strstr(err_msg(), rule) == NULL) {
		print_error("line %d: %s '%s': rc %d out '%s' msg '%s', want "
			    "ERR_INVALID and a message starting \"%s\" with "
			    "\"%s\"\n",
			    line, c->name, in, rc, out, err_msg(), head, rule);
		fail();
	}
}

/* The value must be rejected with exactly the message want. */
static void check_msg(const struct column_desc *c, const char *in,
		      const char *want, int line)
{
	char out[1024];
	int rc = validate_value(c, in, out, sizeof(out));

	if (rc != ERR_INVALID || strcmp(err_msg(), want) != 0) {
		print_error("line %d: rc %d msg '%s', want '%s'\n", line, rc,
			    err_msg(), want);
		fail();
	}
}

static void test_validate_empty(void **state)
{
	const struct column_desc *all[] = {
		&c_name, &c_amount, &c_bool, &c_date, &c_gender,
		&c_ref, &c_cccd, &c_phone, &c_scope,
	};
	const char *empties[] = { "", " ", "  \t\n\r ", "\xc2\xa0",
				  "\xef\xbb\xbf " };
	size_t i, j;

	(void)state;
	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		char out[64] = "junk";

		assert_int_equal(validate_value(all[i], NULL, out, sizeof(out)),
				 1);
		assert_string_equal(out, "");
		for (j = 0; j < sizeof(empties) / sizeof(empties[0]); j++) {
			memcpy(out, "junk", 5);
			assert_int_equal(validate_value(all[i], empties[j], out,
							sizeof(out)),
					 1);
			assert_string_equal(out, "");
		}
	}
}

static void test_validate_text(void **state)
{
	char long_ok[201], too_long[202];

	(void)state;
	OK(c_name, "  Nguyễn Văn  ", "Nguyễn Văn");       /* 10 characters */
	OK(c_name, "\xc2\xa0" "Đức\t", "Đức");         /* NBSP, tab trimmed */
	OK(c_name, "a\tb\nc", "a\tb\nc");                 /* inside: kept */
	/* NFD stays as given */
	OK(c_name, "Nguye\xcc\x82\xcc\x83n", "Nguye\xcc\x82\xcc\x83n");
	BAD(c_name, "Nguyễn Văn Đức", "Nguyễn Văn Đức",
	    "is too long: 14 characters, at most 10 allowed");

	memset(long_ok, 'a', 200);
	long_ok[200] = '\0';
	OK(c_note, long_ok, long_ok);                     /* max_len 0 = 200 */
	memset(too_long, 'a', 201);
	too_long[201] = '\0';
	BAD(c_note, too_long, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...",
	    "is too long: 201 characters, at most 200 allowed");

	BAD(c_note, "ab\xff", "ab\\xff", "is not valid utf-8 text");
	BAD(c_note, "\xc0\xaf", "\\xc0\\xaf", "is not valid utf-8 text");
	BAD(c_note, "\xe0\x80\xaf", "\\xe0\\x80\\xaf", "is not valid utf-8");
	BAD(c_note, "\xed\xa0\x80", "\\xed\\xa0\\x80", "is not valid utf-8");
	BAD(c_note, "\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80",
	    "is not valid utf-8");
	BAD(c_note, "x\xe1\xba", "x\\xe1\\xba", "is not valid utf-8");
	BAD(c_note, "a\x01" "b", "a\\x01b",
	    "contains a control character (only tab and newline are allowed)");
	BAD(c_note, "a\rb", "a\\rb", "contains a control character");
	BAD(c_note, "red\x1b[31m", "red\\x1b[31m", "contains a control");
}

static void test_validate_utf8(void **state)
{
	(void)state;
	assert_true(validate_utf8("", 0));
	assert_true(validate_utf8("Nguyễn Văn Đức\t\n", 22));
	assert_true(validate_utf8("\xf0\x9f\x98\x80", 4));
	assert_true(validate_utf8("\xf4\x8f\xbf\xbf", 4));   /* U+10FFFF */
	assert_false(validate_utf8("a\0b", 3));              /* NUL */
	assert_false(validate_utf8("a\rb", 3));
	assert_false(validate_utf8("\x1f", 1));
	assert_false(validate_utf8("\x80", 1));              /* continuation */
	assert_false(validate_utf8("\xc1\xbf", 2));          /* overlong */
	assert_false(validate_utf8("\xe0\x9f\xbf", 3));      /* overlong */
	assert_false(validate_utf8("\xf0\x8f\xbf\xbf", 4));  /* overlong */
	assert_false(validate_utf8("\xed\xbf\xbf", 3));      /* surrogate */
	assert_false(validate_utf8("\xf4\x90\x80\x80", 4));  /* > U+10FFFF */
	assert_false(validate_utf8("\xf5\x80\x80\x80", 4));
	assert_false(validate_utf8("\xc3", 1));              /* truncated */
	assert_false(validate_utf8("\xc3\xa9", 1));          /* cut by n */
	assert_int_equal(validate_utf8_len(""), 0);
	assert_int_equal(validate_utf8_len("abc"), 3);
	assert_int_equal(validate_utf8_len("Đức"), 3);
	assert_int_equal(validate_utf8_len("Nguye\xcc\x82\xcc\x83n"), 8);
	assert_int_equal(validate_utf8_len("\xf0\x9f\x98\x80"), 1);
}

static void test_validate_int(void **state)
{
	(void)state;
	OK(c_amount, "42", "42");
	OK(c_amount, "0", "0");
	OK(c_amount, "007", "7");
	OK(c_amount, "+3", "3");
	OK(c_amount, "1500000", "1500000");
	OK(c_amount, "1.500.000", "1500000");
	OK(c_amount, "1,500,000", "1500000");
	OK(c_amount, "1 500 000", "1500000");
	OK(c_amount, " 12.000 ", "12000");
	OK(c_amount, "1000000000", "1000000000");
	OK(c_delta, "-10", "-10");
	OK(c_delta, "-0", "0");
	OK(c_any_int, "-9223372036854775808", "-9223372036854775808");
	OK(c_any_int, "9.223.372.036.854.775.807", "9223372036854775807");

	BAD(c_amount, "abc", "abc", "is not a whole number");
	BAD(c_amount, "12a", "12a", "is not a whole number");
	BAD(c_amount, "-", "-", "is not a whole number");
	BAD(c_amount, "1.5", "1.5", "is not a whole number");
	BAD(c_amount, "1,50", "1,50", "is not a whole number");
	BAD(c_amount, "1.500,000", "1.500,000", "is not a whole number");
	BAD(c_amount, "1500.000", "1500.000", "is not a whole number");
	BAD(c_amount, "1..500", "1..500", "is not a whole number");
	BAD(c_amount, "1.500.", "1.500.", "is not a whole number");
	BAD(c_amount, ".500", ".500", "is not a whole number");
	BAD(c_amount, "1.5e6", "1.5e6", "is not a whole number");
	BAD(c_amount, "--1", "--1", "is not a whole number");
	BAD(c_amount, "1.500.000 đ", "1.500.000 đ", "is not a whole number");
	MSG(c_amount, "2.000.000.000",
	    "field 'amount': '2.000.000.000' is not between 0 and 1000000000");
	BAD(c_amount, "-1", "-1", "is not between 0 and 1000000000");
	BAD(c_delta, "11", "11", "is not between -10 and 10");
	BAD(c_delta, "-11", "-11", "is not between -10 and 10");
	BAD(c_amount, "99999999999999999999", "99999999999999999999",
	    "is not between 0 and 1000000000");
	BAD(c_any_int, "9223372036854775808", "9223372036854775808",
	    "is not between -9223372036854775808 and 9223372036854775807");
	BAD(c_any_int, "-9223372036854775809", "-9223372036854775809",
	    "is not between");
}

static void test_validate_bool(void **state)
{
	static const char *const yes[] = {
		"1", "yes", "YES", "Yes", "true", "True", "y", "Y", "có", "Có",
		"CÓ", "co\xcc\x81", "CO\xcc\x81", "co", "CO", "x", "X", " x ",
	};
	static const char *const no[] = {
		"0", "no", "NO", "false", "FALSE", "n", "N", "không", "Không",
		"KHÔNG", "kho\xcc\x82ng", "khong", "Khong",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		OK(c_bool, yes[i], "1");
	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		OK(c_bool, no[i], "0");
	MSG(c_bool, "maybe",
	    "field 'is_member': 'maybe' is not yes or no (1/0, yes/no, "
	    "true/false, y/n, có/không, x)");
	BAD(c_bool, "2", "2", "is not yes or no");
	BAD(c_bool, "cò", "cò", "is not yes or no");
	BAD(c_bool, "yess", "yess", "is not yes or no");
	BAD(c_bool, "1 0", "1 0", "is not yes or no");
	BAD(c_bool, "a very long word that is no boolean",
	    "a very long word that is no boolean", "is not yes or no");
}

static void test_validate_date(void **state)
{
	(void)state;
	OK(c_date, "2001-02-03", "2001-02-03");
	OK(c_date, "2001-2-3", "2001-02-03");
	OK(c_date, "03/02/2001", "2001-02-03");
	OK(c_date, "3/2/2001", "2001-02-03");
	OK(c_date, "31/12/1999", "1999-12-31");
	OK(c_date, "31-12-1999", "1999-12-31");
	OK(c_date, "31.12.1999", "1999-12-31");
	OK(c_date, " 1900-01-01 ", "1900-01-01");
	OK(c_date, "2100-12-31", "2100-12-31");
	/* leap years: by 4, not by 100, but by 400 */
	OK(c_date, "2024-02-29", "2024-02-29");
	OK(c_date, "2000-02-29", "2000-02-29");
	OK(c_date, "29/2/1996", "1996-02-29");
	MSG(c_date, "2001-02-31",
	    "field 'birth_date': '2001-02-31' is not a real date (YYYY-MM-DD)");
	BAD(c_date, "2023-02-29", "2023-02-29", "is not a real date");
	BAD(c_date, "1900-02-29", "1900-02-29", "is not a real date");
	BAD(c_date, "2100-02-29", "2100-02-29", "is not a real date");
	BAD(c_date, "29/02/2023", "29/02/2023",
	    "is not a real date (DD/MM/YYYY)");
	BAD(c_date, "31/04/2001", "31/04/2001", "is not a real date");
	BAD(c_date, "2001-13-01", "2001-13-01", "is not a real date");
	BAD(c_date, "2001-00-10", "2001-00-10", "is not a real date");
	BAD(c_date, "2001-01-00", "2001-01-00", "is not a real date");
	BAD(c_date, "12/31/2001", "12/31/2001", "is not a real date");
	BAD(c_date, "1899-12-31", "1899-12-31",
	    "is not between 1900-01-01 and 2100-12-31");
	BAD(c_date, "2101-01-01", "2101-01-01", "is not between");
	BAD(c_date, "0000-01-01", "0000-01-01", "is not between");
	BAD(c_date, "abc", "abc", "is not a date (YYYY-MM-DD or DD/MM/YYYY)");
	BAD(c_date, "20010203", "20010203", "is not a date");
	BAD(c_date, "2001-02", "2001-02", "is not a date");
	BAD(c_date, "01-02-03", "01-02-03", "is not a date");
	BAD(c_date, "2001-02/03", "2001-02/03", "is not a date");
	BAD(c_date, "2001-02-03x", "2001-02-03x", "is not a date");
	BAD(c_date, "2001-002-03", "2001-002-03", "is not a date");
	BAD(c_date, "20011-02-03", "20011-02-03", "is not a date");
	BAD(c_date, "2001-02-03 10:00", "2001-02-03 10:00", "is not a date");
	BAD(c_date, "-2001-02-03", "-2001-02-03", "is not a date");
}

/* A birth date cannot be in the future (one day of slack for clocks). */
static void test_validate_date_past(void **state)
{
	struct column_desc c = c_date;
	char far[32], soon[32], out[64];
	time_t t = time(NULL);
	struct tm tm;

	(void)state;
	c.flags |= COL_PAST;
	OK(c, "2001-02-03", "2001-02-03");
	localtime_r(&t, &tm);
	snprintf(far, sizeof(far), "%04d-01-01", tm.tm_year + 1900 + 2);
	BAD(c, far, far, "is in the future");
	strftime(soon, sizeof(soon), "%Y-%m-%d", &tm);
	assert_int_equal(validate_value(&c, soon, out, sizeof(out)), 0);
	OK(c_date, far, far); /* only where the column says so */
}

static void test_validate_date_real(void **state)
{
	(void)state;
	assert_true(validate_date_real(2024, 2, 29));
	assert_true(validate_date_real(2000, 2, 29));
	assert_true(validate_date_real(1600, 2, 29));
	assert_false(validate_date_real(1900, 2, 29));
	assert_false(validate_date_real(2023, 2, 29));
	assert_true(validate_date_real(2023, 2, 28));
	assert_true(validate_date_real(2023, 1, 31));
	assert_false(validate_date_real(2023, 4, 31));
	assert_false(validate_date_real(2023, 6, 31));
	assert_false(validate_date_real(2023, 9, 31));
	assert_false(validate_date_real(2023, 11, 31));
	assert_true(validate_date_real(2023, 12, 31));
	assert_false(validate_date_real(2023, 0, 1));
	assert_false(validate_date_real(2023, 13, 1));
	assert_false(validate_date_real(2023, 1, 0));
	assert_false(validate_date_real(2023, 1, 32));
	assert_false(validate_date_real(2023, -1, 1));
}

static void test_validate_enum(void **state)
{
	(void)state;
	OK(c_gender, "male", "male");
	OK(c_gender, "Female", "female");
	OK(c_gender, " OTHER ", "other");
	OK(c_kind, "branch_school", "branch_school");
	OK(c_kind, "branch-school", "branch_school");
	OK(c_kind, "Branch-Private", "branch_private");
	MSG(c_gender, "nam",
	    "field 'gender': 'nam' is not one of: male, female, other");
	BAD(c_gender, "mal", "mal", "is not one of: male, female, other");
	BAD(c_gender, "males", "males", "is not one of");
	BAD(c_kind, "branch school", "branch school",
	    "is not one of: branch_school, branch_private, club");
	BAD(c_kind, "clu\xff", "clu\\xff", "is not one of");
}

static void test_validate_ref(void **state)
{
	(void)state;
	OK(c_ref, "0190a6e4-7c1b-7d3e-9f00-123456789abc",
	   "0190a6e4-7c1b-7d3e-9f00-123456789abc");
	OK(c_ref, "0190A6E4-7C1B-7D3E-9F00-123456789ABC",
	   "0190a6e4-7c1b-7d3e-9f00-123456789abc");
	BAD(c_ref, "0190a6e4-7c1b-7d3e-9f00-123456789ab",
	    "0190a6e4-7c1b-7d3e-9f00-123456789ab",
	    "is not a record id (8-4-4-4-12 hex digits");
	BAD(c_ref, "0190a6e4-7c1b-7d3e-9f00-123456789abcd",
	    "0190a6e4-7c1b-7d3e-9f00-123456789abcd", "is not a record id");
	BAD(c_ref, "0190a6e47c1b-7d3e-9f00-1-23456789abc",
	    "0190a6e47c1b-7d3e-9f00-1-23456789abc", "is not a record id");
	BAD(c_ref, "0190a6e4-7c1b-7d3e-9f00-123456789abg",
	    "0190a6e4-7c1b-7d3e-9f00-123456789abg", "is not a record id");
	BAD(c_ref, "{0190a6e4-7c1b-7d3e-9f00-123456789ab}",
	    "{0190a6e4-7c1b-7d3e-9f00-123456789ab}", "is not a record id");
	BAD(c_ref, "0190a6e47c1b7d3e9f00123456789abc",
	    "0190a6e47c1b7d3e9f00123456789abc", "is not a record id");
}

static void test_validate_citizen_id(void **state)
{
	(void)state;
	OK(c_cccd, "079123456789", "079123456789");
	OK(c_cccd, "079 123 456 789", "079123456789");
	OK(c_cccd, " 0012 0300 1234 ", "001203001234");
	OK(c_cccd, "096999999999", "096999999999");
	MSG(c_cccd, "99912345678x",
	    "field 'citizen_id': '99912345678x' must be exactly 12 digits");
	MSG(c_cccd, "07912345678",
	    "field 'citizen_id': '07912345678' must be exactly 12 digits");
	MSG(c_cccd, "999123456789",
	    "field 'citizen_id': '999123456789' does not start with a real "
	    "province code (e.g. 079 for Hồ Chí Minh)");
	BAD(c_cccd, "0791234567890", "0791234567890",
	    "must be exactly 12 digits");
	BAD(c_cccd, "079-123-456-789", "079-123-456-789",
	    "must be exactly 12 digits");
	BAD(c_cccd, "123456789", "123456789", "must be exactly 12 digits");
	BAD(c_cccd, "003123456789", "003123456789",
	    "does not start with a real province code");
	BAD(c_cccd, "000123456789", "000123456789",
	    "does not start with a real province code");
	BAD(c_cccd, "097123456789", "097123456789",
	    "does not start with a real province code");
	BAD(c_cccd, "100123456789", "100123456789",
	    "does not start with a real province code");
}

static void test_validate_province_codes(void **state)
{
	static const int codes[] = {
		1,  2,  4,  6,  8,  10, 11, 12, 14, 15, 17, 19, 20, 22, 24, 25,
		26, 27, 30, 31, 33, 34, 35, 36, 37, 38, 40, 42, 44, 45, 46, 48,
		49, 51, 52, 54, 56, 58, 60, 62, 64, 66, 67, 68, 70, 72, 74, 75,
		77, 79, 80, 82, 83, 84, 86, 87, 89, 91, 92, 93, 94, 95, 96,
	};
	size_t i;
	int code, valid = 0;

	(void)state;
	assert_int_equal(sizeof(codes) / sizeof(codes[0]), 63);
	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		char in[16];

		assert_true(validate_province_code(codes[i]));
		/* every code works in a CCCD, with any 4th (century) digit */
		snprintf(in, sizeof(in), "%03d%d12345678", codes[i],
			 (int)(i % 10));
		OK(c_cccd, in, in);
	}
	for (code = -5; code < 1000; code++)
		valid += validate_province_code(code);
	assert_int_equal(valid, 63);
	assert_false(validate_province_code(0));
	assert_false(validate_province_code(3));
	assert_false(validate_province_code(97));
	assert_false(validate_province_code(79 + 1000));
}

static void test_validate_phone(void **state)
{
	(void)state;
	OK(c_phone, "0901234567", "0901234567");
	OK(c_phone, "0312345678", "0312345678");
	OK(c_phone, "0512345678", "0512345678");
	OK(c_phone, "0712345678", "0712345678");
	OK(c_phone, "0812345678", "0812345678");
	OK(c_phone, "090 123 4567", "0901234567");
	OK(c_phone, "090.123.4567", "0901234567");
	OK(c_phone, "090-123-4567", "0901234567");
	OK(c_phone, "(090) 123-4567", "0901234567");
	OK(c_phone, "+84 90 123 4567", "0901234567");
	OK(c_phone, "+84901234567", "0901234567");
	OK(c_phone, "+84 (0) 90 123 4567", "0901234567");
	OK(c_phone, "84901234567", "0901234567");
	OK(c_phone, "84 90 123 4567", "0901234567");
	OK(c_phone, "0845123456", "0845123456"); /* 084: a mobile prefix */
	/* landlines: 0 + 10 digits */
	OK(c_phone, "028 3829 1234", "02838291234");
	OK(c_phone, "(028) 3829.1234", "02838291234");
	OK(c_phone, "+84 28 3829 1234", "02838291234");
	OK(c_phone, "842838291234", "02838291234");
	OK(c_phone, "0203 123 4567", "02031234567");

	MSG(c_phone, "12345",
	    "field 'phone': '12345' is not a Vietnamese phone number (expected "
	    "10 digits starting 03, 05, 07, 08 or 09, or 11 digits starting "
	    "02, e.g. 0901234567)");
	BAD(c_phone, "0123456789", "0123456789", "is not a Vietnamese phone");
	BAD(c_phone, "0401234567", "0401234567", "is not a Vietnamese phone");
	BAD(c_phone, "0601234567", "0601234567", "is not a Vietnamese phone");
	BAD(c_phone, "090123456", "090123456", "is not a Vietnamese phone");
	BAD(c_phone, "09012345678", "09012345678", "is not a Vietnamese phone");
	BAD(c_phone, "0201234567", "0201234567", "is not a Vietnamese phone");
	BAD(c_phone, "028382912345", "028382912345", "is not a Vietnamese");
	BAD(c_phone, "901234567", "901234567", "is not a Vietnamese phone");
	BAD(c_phone, "+1 202 555 0100", "+1 202 555 0100", "is not a Viet");
	BAD(c_phone, "+", "+", "is not a Vietnamese phone");
	BAD(c_phone, "+84", "+84", "is not a Vietnamese phone");
	BAD(c_phone, "0901234567/0912345678", "0901234567/0912345678",
	    "is not a Vietnamese phone");
	BAD(c_phone, "09O1234567", "09O1234567", "is not a Vietnamese phone");
	BAD(c_phone, "090 123 4567 ext 2", "090 123 4567 ext 2",
	    "is not a Vietnamese phone");
	BAD(c_phone, "12345678901234567890", "12345678901234567890",
	    "is not a Vietnamese phone");
	BAD(c_phone, "0+84901234567", "0+84901234567", "is not a Vietnamese");
}

static void test_validate_scope(void **state)
{
	char max_ok[64], too_long[65];

	(void)state;
	OK(c_scope, "binh-tan", "binh-tan");
	OK(c_scope, "an-lac-a", "an-lac-a");
	OK(c_scope, "Binh-Tan", "binh-tan");
	OK(c_scope, "p1", "p1");
	memset(max_ok, 'w', 63);
	max_ok[63] = '\0';
	OK(c_scope, max_ok, max_ok);
	memset(too_long, 'w', 64);
	too_long[64] = '\0';
	BAD(c_scope, too_long, "wwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwww...",
	    "is not a scope code (2 to 63 lowercase letters, digits or '-')");
	BAD(c_scope, "a", "a", "is not a scope code");
	BAD(c_scope, "an lac", "an lac", "is not a scope code");
	BAD(c_scope, "an_lac", "an_lac", "is not a scope code");
	BAD(c_scope, "phường", "phường", "is not a scope code");
}

/* Values shown in messages are escaped and shortened so that a message is
 * one line of valid UTF-8 however hostile the input. */
static void test_validate_message_value(void **state)
{
	char in[600], out[1024];
	size_t i;

	(void)state;
	BAD(c_date, "\x1b[2J", "\\x1b[2J", "is not a date");
	BAD(c_date, "a\nb", "a\\nb", "is not a date");
	BAD(c_date, "a\tb", "a\\tb", "is not a date");
	BAD(c_date, "\xe2\x80\xae" "abc", "\\u202eabc", "is not a date");
	BAD(c_date, "a\xc2\x85" "b", "a\\u0085b", "is not a date");
	BAD(c_date, "x\x7f", "x\\x7f", "is not a date");
	BAD(c_date, "Đức", "Đức", "is not a date");
	/* 40 characters shown, then "..." */
	BAD(c_date, "ĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐ",
	    "ĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐ...", "is not a date");
	BAD(c_date, "ĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐ",
	    "ĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐ", "is not a date");
	/* a long run of control characters still fits */
	for (i = 0; i + 1 < sizeof(in); i++)
		in[i] = (char)(1 + i % 31);
	in[sizeof(in) - 1] = '\0';
	err_clear();
	assert_int_equal(validate_value(&c_note, in, out, sizeof(out)),
			 ERR_INVALID);
	assert_true(validate_utf8(err_msg(), strlen(err_msg())));
	assert_null(strchr(err_msg(), '\n'));
	assert_true(strlen(err_msg()) < 400);
	assert_non_null(strstr(err_msg(), "...' contains a control"));
}

/* Random bytes for every type: no crash (run under ASan/UBSan), a result
 * in {0, 1, ERR_INVALID}, a canonical form that validates to itself, and
 * messages that are one line of valid UTF-8. */
static void test_validate_random(void **state)
{
	static const char *const pieces[] = {
		"0", "1", "2", "7", "9", "8", "4", "+", "-", "/", ".", ",", " ",
		"(", ")", "a", "F", "x", "Đ", "ó", "\xcc\x81", "\xff", "\x01",
		"\t", "\n", "\xc2\xa0", "_", "\xe2\x80\xae",
	};
	const struct column_desc *all[] = {
		&c_name, &c_note, &c_amount, &c_delta, &c_any_int, &c_bool,
		&c_date, &c_gender, &c_kind, &c_ref, &c_cccd, &c_phone,
		&c_scope,
	};
	uint32_t seed = 2024;
	int iter;

	(void)state;
	for (iter = 0; iter < 20000; iter++) {
		const struct column_desc *c = all[iter % 13];
		char in[128], out[1024], again[1024];
		size_t n = 0, k, count = (size_t)(iter % 37);
		int rc;

		for (k = 0; k < count; k++) {
			const char *p;

			seed = seed * 1103515245u + 12345u;
			p = pieces[(seed >> 16) %
				   (sizeof(pieces) / sizeof(pieces[0]))];
			memcpy(in + n, p, strlen(p));
			n += strlen(p);
		}
		in[n] = '\0';
		rc = validate_value(c, in, out, sizeof(out));
		assert_true(rc == 0 || rc == 1 || rc == ERR_INVALID);
		if (rc == 0) {
			assert_int_equal(validate_value(c, out, again,
							sizeof(again)),
					 0);
			assert_string_equal(out, again);
		} else if (rc == ERR_INVALID) {
			const char *msg = err_msg();

			assert_true(validate_utf8(msg, strlen(msg)));
			assert_null(strchr(msg, '\n'));
		}
	}
}

static void test_validate_bad_calls(void **state)
{
	static const struct column_desc no_values = {
		.name = "kind", .type = COL_ENUM,
	};
	char small[4] = "old";

	(void)state;
	assert_int_equal(validate_value(NULL, "x", small, sizeof(small)),
			 ERR_INTERNAL);
	assert_int_equal(validate_value(&c_note, "x", NULL, 10), ERR_INTERNAL);
	assert_int_equal(validate_value(&c_note, "x", small, 0), ERR_INTERNAL);
	assert_int_equal(validate_value(&no_values, "x", small, sizeof(small)),
			 ERR_INTERNAL);
	/* a buffer too small is the caller's bug, not the user's */
	assert_int_equal(validate_value(&c_date, "2001-02-03", small,
					sizeof(small)),
			 ERR_INTERNAL);
	assert_string_equal(small, "old");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_validate_empty),
		cmocka_unit_test(test_validate_text),
		cmocka_unit_test(test_validate_utf8),
		cmocka_unit_test(test_validate_int),
		cmocka_unit_test(test_validate_bool),
		cmocka_unit_test(test_validate_date),
		cmocka_unit_test(test_validate_date_past),
		cmocka_unit_test(test_validate_date_real),
		cmocka_unit_test(test_validate_enum),
		cmocka_unit_test(test_validate_ref),
		cmocka_unit_test(test_validate_citizen_id),
		cmocka_unit_test(test_validate_province_codes),
		cmocka_unit_test(test_validate_phone),
		cmocka_unit_test(test_validate_scope),
		cmocka_unit_test(test_validate_message_value),
		cmocka_unit_test(test_validate_random),
		cmocka_unit_test(test_validate_bad_calls),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
