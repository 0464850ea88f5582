/*
 * test_csvio.c - unit tests for replicas/csvio.c: BOM, Vietnamese headers,
 * quoted fields with commas and line breaks, every bad row reported with
 * its line number, nothing stored on failure, duplicate citizen ids, ';'
 * files, and export → import round trips (ids make updates).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "replicas/csvio.h"
#include "replicas/err.h"
#include "tests/lib/testnode.h"
#include "replicas/banned.h"

struct fx {
	char *dir;
	struct node *n;
	char path[512];
	const struct table_desc *person;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->dir = tn_tmpdir();
	f->n = tn_node(f->dir, STORE_ROLE_WARD, "an-lac", "binh-tan");
	assert_non_null(f->n);
	snprintf(f->path, sizeof(f->path), "%s/in.csv", f->dir);
	f->person = schema_table_find("person");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	node_close(f->n);
	tn_rmtree(f->dir);
	free(f->dir);
	free(f);
	return 0;
}

static void write_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "wb");

	assert_non_null(fp);
	assert_int_equal(fwrite(text, 1, strlen(text), fp), strlen(text));
	assert_int_equal(fclose(fp), 0);
}

static int import(struct fx *f, const char *text, int dry, int force,
		  struct csvio_report *rep)
{
	struct csvio_import_opts o = { 0 };

	o.operator_name = "tester";
	o.dry_run = dry;
	o.force = force;
	write_file(f->path, text);
	return csvio_import(f->n->store, f->person, f->path, &o, rep);
}

static long long people(struct fx *f)
{
	long long n = -1;

	assert_int_equal(store_count(f->n->store, f->person, &n), 0);
	return n;
}

/* 1 if some message of rep contains every one of the NULL-ended words. */
static int reported(const struct csvio_report *rep, ...)
{
	for (int i = 0; i < rep->nmessages; i++) {
		va_list ap;
		const char *w;
		int all = 1;

		va_start(ap, rep);
		while ((w = va_arg(ap, const char *)) != NULL)
			all &= strstr(rep->messages[i], w) != NULL;
		va_end(ap);
		if (all)
			return 1;
	}
	for (int i = 0; i < rep->nmessages; i++)
		print_message("  message: %s\n", rep->messages[i]);
	return 0;
}

struct got {
	char name[128], notes[256];
	int n;
};

static int got_cb(void *ctx, const struct record *r)
{
	struct got *g = ctx;
	int nc = schema_column_find(r->t, "full_name", false);
	int oc = schema_column_find(r->t, "notes", false);

	snprintf(g->name, sizeof(g->name), "%s", r->vals[nc] ? r->vals[nc] : "");
	snprintf(g->notes, sizeof(g->notes), "%s", r->vals[oc] ? r->vals[oc] : "");
	g->n++;
	return 0;
}

static void test_csvio_bom_vietnamese_headers(void **state)
{
	struct fx *f = *state;
	struct csvio_report rep;
	struct got g = { 0 };

	assert_int_equal(import(f, "\xef\xbb\xbfHọ và tên,Ngày sinh,Số CCCD\r\n"
				"Nguyễn Văn Đức,12/05/2001,079201001234\r\n"
				"Trần Thị Bích Ngọc,2000-01-31,\r\n", 0, 0, &rep), 0);
	assert_int_equal(rep.rows, 2);
	assert_int_equal(rep.inserted, 2);
	assert_int_equal(people(f), 2);
	assert_int_equal(store_find(f->n->store, "nguyen van duc", 10, got_cb, &g), 0);
	assert_int_equal(g.n, 1);
	assert_string_equal(g.name, "Nguyễn Văn Đức");
	csvio_report_release(&rep);
}

static void test_csvio_quoted_commas_newlines(void **state)
{
	struct fx *f = *state;
	struct csvio_report rep;
	struct got g = { 0 };

	/* the bad row is on line 5: the quoted value spans lines 2-3 */
	assert_int_equal(import(f, "full_name,birth_date,notes\n"
				"\"Lê, Văn An\",2000-01-01,\"ở trọ, khu A\r\nphòng 3\"\n"
				"Phạm Bình,2000-01-02,\n"
				"Võ Cường,2000-02-30,x\n", 0, 0, &rep), ERR_INVALID);
	assert_int_equal(rep.nerrors, 1);
	assert_true(reported(&rep, "line 5", "birth_date", "2000-02-30", NULL));
	assert_int_equal(people(f), 0);
	csvio_report_release(&rep);

	assert_int_equal(import(f, "full_name,birth_date,notes\n"
				"\"Lê, Văn An\",2000-01-01,\"ở trọ, khu A\r\nphòng 3\"\n",
				0, 0, &rep), 0);
	assert_int_equal(store_find(f->n->store, "le van an", 10, got_cb, &g), 0);
	assert_string_equal(g.name, "Lê, Văn An");
	assert_string_equal(g.notes, "ở trọ, khu A\nphòng 3");
	csvio_report_release(&rep);
}

static void test_csvio_every_bad_row_nothing_stored(void **state)
{
	struct fx *f = *state;
	struct csvio_report rep;

	assert_int_equal(import(f, "full_name,birth_date,gender,phone\n"
				"Đỗ An,2001-01-01,male,0903123456\n"
				"Đỗ Bình,31/02/2001,male,\n"
				"\n"
				"Đỗ Cường,2001-01-03,nam,\n"
				",2001-01-04,,\n"
				"Đỗ Dũng,2001-01-05,male,12345\n", 0, 0, &rep), ERR_INVALID);
	assert_int_equal(rep.nerrors, 4);
	assert_true(reported(&rep, "line 3", "birth_date", "31/02/2001", "real date", NULL));
	assert_true(reported(&rep, "line 5", "gender", "nam", "male", NULL));
	assert_true(reported(&rep, "line 6", "full_name", "required", NULL));
	assert_true(reported(&rep, "line 7", "phone", "12345", NULL));
	assert_int_equal(people(f), 0);
	csvio_report_release(&rep);
}

static void test_csvio_unknown_header(void **state)
{
	struct fx *f = *state;
	struct csvio_report rep;

	assert_int_equal(import(f, "full_name,birth_date,favourite_colour\n"
				"Đỗ An,2001-01-01,blue\n", 0, 0, &rep), ERR_INVALID);
	assert_true(reported(&rep, "line 1", "favourite_colour", "full_name",
			     "Họ và tên", NULL));
	assert_int_equal(people(f), 0);
	csvio_report_release(&rep);

	assert_int_equal(import(f, "full_name,gender\nĐỗ An,male\n", 0, 0, &rep),
			 ERR_INVALID);
	assert_true(reported(&rep, "birth_date", "missing", NULL));
	csvio_report_release(&rep);
}

static void test_csvio_duplicate_citizen_ids(void **state)
{
	struct fx *f = *state;
	struct csvio_report rep;
	const char *csv = "full_name,birth_date,citizen_id\n"
			  "Đỗ An,2001-01-01,079201001234\n"
			  "Đỗ An,2001-01-01,079201001234\n";

	assert_int_equal(import(f, csv, 0, 0, &rep), ERR_INVALID);
	assert_true(reported(&rep, "line 3", "citizen_id", "also on line 2", NULL));
	assert_int_equal(people(f), 0);
	csvio_report_release(&rep);

	assert_int_equal(import(f, csv, 0, 1, &rep), 0);
	assert_int_equal(people(f), 2);
	csvio_report_release(&rep);

	/* against the replica */
	assert_int_equal(import(f, "full_name,birth_date,citizen_id\n"
				"Đỗ Bình,2002-01-01,079201001234\n", 0, 0, &rep),
			 ERR_INVALID);
	assert_true(reported(&rep, "line 2", "already registered", "Đỗ An", NULL));
	csvio_report_release(&rep);
}

static void test_csvio_dry_run_and_semicolons(void **state)
{
	struct fx *f = *state;
	struct csvio_report rep;

	assert_int_equal(import(f, "Họ và tên;Ngày sinh\nĐỗ An;2001-01-01\n"
				"Đỗ Bình;2001-01-02\n", 1, 0, &rep), 0);
	assert_int_equal(rep.inserted, 2);
	assert_int_equal(people(f), 0);
	csvio_report_release(&rep);
	assert_int_equal(import(f, "Họ và tên;Ngày sinh\nĐỗ An;2001-01-01\n"
				"Đỗ Bình;2001-01-02\n", 0, 0, &rep), 0);
	assert_int_equal(people(f), 2);
	csvio_report_release(&rep);
}

static void test_csvio_message_cap(void **state)
{
	struct fx *f = *state;
	struct csvio_report rep;
	char *csv = malloc(8192);
	size_t n;

	assert_non_null(csv);
	n = (size_t)snprintf(csv, 8192, "full_name,birth_date\n");
	for (int i = 0; i < 60; i++)
		n += (size_t)snprintf(csv + n, 8192 - n, "Người %d,2001-02-30\n", i);
	assert_int_equal(import(f, csv, 0, 0, &rep), ERR_INVALID);
	assert_int_equal(rep.nerrors, 60);
	assert_int_equal(rep.nmessages, CSVIO_MAX_MESSAGES);
	/* the first ones are kept, in order */
	assert_non_null(strstr(rep.messages[0], "line 2,"));
	assert_non_null(strstr(rep.messages[CSVIO_MAX_MESSAGES - 1], "line 51,"));
	csvio_report_release(&rep);
	free(csv);
}

static void test_csvio_export_round_trip(void **state)
{
	struct fx *f = *state;
	struct csvio_report rep;
	char out[600], buf[4096], *edited = NULL;
	long count = 0;
	FILE *fp;
	size_t len;

	assert_int_equal(import(f, "full_name,birth_date,notes\n"
				"Đỗ An,2001-01-01,\"a, b\"\nĐỗ Bình,2001-01-02,\n",
				0, 0, &rep), 0);
	csvio_report_release(&rep);
	snprintf(out, sizeof(out), "%s/out.csv", f->dir);
	fp = fopen(out, "wb");
	assert_non_null(fp);
	assert_int_equal(csvio_export(f->n->store, f->person, fp, NULL, &count), 0);
	assert_int_equal(fclose(fp), 0);
	assert_int_equal(count, 2);
	fp = fopen(out, "rb");
	len = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[len] = '\0';
	assert_memory_equal(buf, "\xef\xbb\xbf\"id\",\"ward\",\"full_name\"", 25);
	assert_non_null(strstr(buf, "\r\n"));

	/* importing it back changes nothing; an edited name updates */
	assert_int_equal(import(f, buf, 0, 0, &rep), 0);
	assert_int_equal(rep.unchanged, 2);
	csvio_report_release(&rep);
	edited = strdup(buf);
	memcpy(strstr(edited, "Đỗ Bình"), "Đỗ Bính", strlen("Đỗ Bính"));
	assert_int_equal(import(f, edited, 0, 0, &rep), 0);
	assert_int_equal(rep.updated, 1);
	assert_int_equal(rep.unchanged, 1);
	assert_int_equal(people(f), 2);
	csvio_report_release(&rep);
	free(edited);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_csvio_bom_vietnamese_headers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_csvio_quoted_commas_newlines, setup, teardown),
		cmocka_unit_test_setup_teardown(test_csvio_every_bad_row_nothing_stored, setup, teardown),
		cmocka_unit_test_setup_teardown(test_csvio_unknown_header, setup, teardown),
		cmocka_unit_test_setup_teardown(test_csvio_duplicate_citizen_ids, setup, teardown),
		cmocka_unit_test_setup_teardown(test_csvio_dry_run_and_semicolons, setup, teardown),
		cmocka_unit_test_setup_teardown(test_csvio_message_cap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_csvio_export_round_trip, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
