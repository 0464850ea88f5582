/*
 * bench_archive.c - what the audit archive costs: importing N people
 * (capture and sealing, one transaction, as taphop import does) into a
 * fresh ward, without and with archive_update() afterwards, and a later
 * small write (one edit) with its archive_update on top of that archive.
 * N from $TAPHOP_BENCH_PEOPLE (default 100000).  Prints the times and the
 * ratio (goal: the archive adds at most 50%).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "replicas/archive.h"
#include "replicas/err.h"
#include "replicas/node.h"
#include "tests/lib/testnode.h"

#include "replicas/banned.h"

static double clock_s(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Wall time, and the process's CPU time beside it: on a shared machine
 * the CPU ratio is the steadier figure. */
static double cpu_start;

static double now(void)
{
	cpu_start = clock_s(CLOCK_PROCESS_CPUTIME_ID);
	return clock_s(CLOCK_MONOTONIC);
}

/* CPU time since the last now() */
static double cpu_since(void)
{
	return clock_s(CLOCK_PROCESS_CPUTIME_ID) - cpu_start;
}

static const char *const family[] = { "Nguyễn", "Trần", "Lê", "Phạm",
				      "Hoàng", "Huỳnh", "Võ", "Đặng" };
static const char *const given[] = { "Văn Đức", "Thị Lan", "Minh Khôi",
				     "Thu Hà", "Quốc Bảo", "Ngọc Ánh" };

static int import(struct node *n, long count, char *first_id)
{
	const struct table_desc *t = schema_table_find("person");
	const char *v[SCHEMA_MAX_COLUMNS] = { 0 };
	char name[128], birth[16], phone[16], id[STORE_ID_LEN + 1];
	int cn = schema_column_find(t, "full_name", false);
	int cb = schema_column_find(t, "birth_date", false);
	int cp = schema_column_find(t, "phone", false);
	long i;

	if (store_begin(n->store, "bench", "import people.csv") != 0)
		return -1;
	v[0] = store_node_code(n->store);
	for (i = 0; i < count; i++) {
		snprintf(name, sizeof(name), "%s %s %ld", family[i % 8],
			 given[i % 6], i);
		snprintf(birth, sizeof(birth), "%04ld-%02ld-%02ld",
			 1990 + i % 15, 1 + i % 12, 1 + i % 28);
		snprintf(phone, sizeof(phone), "09%08ld", i % 100000000);
		v[cn] = name;
		v[cb] = birth;
		v[cp] = phone;
		if (store_insert(n->store, t, v, NULL, id) != 0) {
			store_rollback(n->store);
			return -1;
		}
		if (i == 0)
			memcpy(first_id, id, sizeof(id));
	}
	return store_commit(n->store);
}

int main(void)
{
	const char *env = getenv("TAPHOP_BENCH_PEOPLE");
	long count = env != NULL ? atol(env) : 100000;
	char *dir = tn_tmpdir(), id[STORE_ID_LEN + 1];
	struct node *plain, *archived;
	const struct table_desc *t = schema_table_find("person");
	const char *v[SCHEMA_MAX_COLUMNS] = { 0 };
	double t0, t_plain, t_import, t_archive, t_edit, t_edit_archive;
	double c_plain, c_import, c_archive;
	int rc = 1;

	plain = tn_node(dir, STORE_ROLE_WARD, "an-lac", "binh-tan");
	archived = tn_node(dir, STORE_ROLE_WARD, "tan-tao", "binh-tan");
	if (plain == NULL || archived == NULL || count <= 0)
		goto done;

	t0 = now();
	if (import(plain, count, id) != 0)
		goto fail;
	c_plain = cpu_since();
	t_plain = now() - t0;

	t0 = now();
	if (import(archived, count, id) != 0)
		goto fail;
	c_import = cpu_since();
	t_import = now() - t0;
	t0 = now();
	if (archive_update(archived) != 0)
		goto fail;
	c_archive = cpu_since();
	t_archive = now() - t0;

	/* one small write on top of the big archive: costs what it touches */
	v[schema_column_find(t, "phone", false)] = "0912345678";
	t0 = now();
	if (store_begin(archived->store, "bench", NULL) != 0 ||
	    store_update(archived->store, t, id, v) != 0 ||
	    store_commit(archived->store) != 0)
		goto fail;
	t_edit = now() - t0;
	t0 = now();
	if (archive_update(archived) != 0)
		goto fail;
	t_edit_archive = now() - t0;

	printf("archive: import of %ld people: %.2f s without the archive, "
	       "%.2f s + %.2f s archive_update with it\n",
	       count, t_plain, t_import, t_archive);
	printf("archive: import with archive / without = %.2f (goal <= 1.50)\n",
	       (t_import + t_archive) / t_plain);
	printf("archive: CPU time: %.2f s without, %.2f s + %.2f s with; "
	       "ratio %.2f\n", c_plain, c_import, c_archive,
	       (c_import + c_archive) / c_plain);
	printf("archive: one edit afterwards: %.1f ms, its archive_update "
	       "%.1f ms\n", t_edit * 1e3, t_edit_archive * 1e3);
	rc = 0;
	goto done;
fail:
	fprintf(stderr, "bench_archive: %s\n", err_msg());
done:
	node_close(plain);
	node_close(archived);
	tn_rmtree(dir);
	free(dir);
	return rc;
}
