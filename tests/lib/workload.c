/*
 * workload.c - see workload.h.  Word lists are NFC UTF-8; the lists are
 * small on purpose: realistic, and with enough repetition that search and
 * duplicate detection have something to find.
 */
#include "tests/lib/workload.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "replicas/banned.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define PICK(r, a) ((a)[wl_below((r), (uint32_t)N(a))])

/* ---- randomness ------------------------------------------------------- */

uint64_t wl_seed(void)
{
	const char *e = getenv("TAPHOP_SEED");
	struct timespec ts;
	uint64_t x;

	if (e && *e)
		return strtoull(e, NULL, 0);
	clock_gettime(CLOCK_REALTIME, &ts);
	x = (uint64_t)ts.tv_sec * 1000000007u ^ (uint64_t)ts.tv_nsec ^
	    ((uint64_t)getpid() << 32);
	/* keep it short enough to type back */
	return x % 1000000000u;
}

void wl_rng_init(struct wl_rng *r, uint64_t seed)
{
	r->s = seed ^ 0x5deece66dULL;
}

uint64_t wl_next(struct wl_rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

uint32_t wl_below(struct wl_rng *r, uint32_t n)
{
	return n ? (uint32_t)(((wl_next(r) >> 32) * (uint64_t)n) >> 32) : 0;
}

int wl_chance(struct wl_rng *r, unsigned pct)
{
	return wl_below(r, 100) < pct;
}

void wl_shuffle(struct wl_rng *r, void *base, size_t n, size_t sz)
{
	unsigned char *b = base, tmp[256];

	if (sz > sizeof(tmp))
		abort(); /* a test helper: element too large */
	for (size_t i = n; i > 1; i--) {
		size_t j = wl_below(r, (uint32_t)i);

		if (j == i - 1)
			continue;
		memcpy(tmp, b + (i - 1) * sz, sz);
		memcpy(b + (i - 1) * sz, b + j * sz, sz);
		memcpy(b + j * sz, tmp, sz);
	}
}

/* ---- word lists ------------------------------------------------------- */

/* Family names, roughly by frequency (Nguyễn first and most often). */
static const char *const family[] = {
	"Nguyễn", "Nguyễn", "Nguyễn", "Nguyễn", "Trần", "Trần", "Lê", "Lê",
	"Phạm", "Phạm", "Hoàng", "Huỳnh", "Huỳnh", "Phan", "Vũ", "Võ", "Võ",
	"Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Lý", "Đinh", "Lâm",
	"Trương", "Mai", "Tạ", "Châu", "Quách", "Thái",
};
static const char *const middle_m[] = {
	"Văn", "Văn", "Văn", "Hữu", "Đức", "Minh", "Quốc", "Thanh", "Hoàng",
	"Công", "Gia", "Tấn", "Thành", "Trọng", "Xuân", "Duy",
};
static const char *const middle_f[] = {
	"Thị", "Thị", "Thị", "Ngọc", "Thanh", "Thu", "Kim", "Minh", "Hoài",
	"Bảo", "Diễm", "Mỹ", "Phương", "Tường",
};
static const char *const given_m[] = {
	"Anh", "Bảo", "Cường", "Dũng", "Đạt", "Đức", "Hải", "Hiếu", "Hòa",
	"Hùng", "Huy", "Khang", "Khoa", "Kiên", "Long", "Lộc", "Luân", "Minh",
	"Nam", "Nghĩa", "Nhân", "Phát", "Phong", "Phúc", "Quân", "Quang",
	"Sang", "Sơn", "Tài", "Tâm", "Thắng", "Thành", "Thịnh", "Tiến", "Toàn",
	"Trí", "Trung", "Tuấn", "Việt", "Vinh", "Vũ", "Khôi",
};
static const char *const given_f[] = {
	"An", "Ánh", "Châu", "Chi", "Diệp", "Dung", "Giang", "Hà", "Hạnh",
	"Hằng", "Hiền", "Hoa", "Hồng", "Hương", "Huyền", "Lan", "Linh", "Loan",
	"Mai", "My", "Ngân", "Nhi", "Nhung", "Oanh", "Phương", "Quỳnh",
	"Thảo", "Thư", "Thủy", "Tiên", "Trâm", "Trang", "Trinh", "Tuyết",
	"Uyên", "Vân", "Vy", "Xuân", "Yến",
};

/* CCCD province codes: Hồ Chí Minh most often, then where Bình Tân's
 * workers come from (the Mekong delta and the central coast). */
static const int provinces[] = {
	79, 79, 79, 79, 79, 79, 79, 79, 80, 82, 83, 84, 86, 87, 89, 91, 92,
	93, 94, 95, 96, 52, 51, 54, 40, 38, 42, 36, 1, 74, 75, 72, 68, 66,
};

/* Mobile prefixes in use (Viettel, Vinaphone, MobiFone, Vietnamobile...). */
static const char *const phone_prefixes[] = {
	"032", "033", "034", "035", "036", "037", "038", "039", "056", "058",
	"059", "070", "076", "077", "078", "079", "081", "082", "083", "084",
	"085", "086", "088", "089", "090", "091", "093", "094", "096", "097",
	"098", "099",
};

/* Streets of Bình Tân. */
static const char *const streets[] = {
	"Tên Lửa", "Kinh Dương Vương", "Hồ Học Lãm", "An Dương Vương",
	"Lê Văn Quới", "Tân Hòa Đông", "Mã Lò", "Bình Long", "Hương lộ 2",
	"Tỉnh lộ 10", "Lê Trọng Tấn", "Gò Xoài", "Bình Thành", "Quốc lộ 1A",
	"Ấp Chiến Lược", "Đất Mới", "Lê Đình Cẩn", "Bình Trị Đông",
	"Nguyễn Thị Tú", "Phan Anh", "Lê Cơ", "Trần Đại Nghĩa",
	"Vành đai trong", "Số 7",
};

static const struct {
	const char *name;
	const char *kind;
} partners[] = {
	{ "Ngân hàng Chính sách xã hội quận Bình Tân", "bank" },
	{ "Ngân hàng Nông nghiệp chi nhánh An Lạc", "bank" },
	{ "Trường Cao đẳng Kỹ thuật Cao Thắng", "vocational_school" },
	{ "Trường Trung cấp nghề Bình Tân", "vocational_school" },
	{ "Trung tâm Dịch vụ việc làm Thành phố", "employment_centre" },
	{ "Công ty TNHH Pouyuen Việt Nam", "enterprise" },
	{ "Công ty Cổ phần Thực phẩm Sài Gòn", "enterprise" },
	{ "Xưởng may Tân Tạo", "enterprise" },
	{ "Liên đoàn Lao động quận Bình Tân", "trade_union" },
	{ "Chi cục Thuế khu vực Bình Tân", "tax_office" },
	{ "Ủy ban Mặt trận Tổ quốc quận", "fatherland_front" },
	{ "Quỹ Hỗ trợ Thanh niên khởi nghiệp", "ngo" },
	{ "Chùa Phước Thạnh", "religious_establishment" },
	{ "Giáo xứ Bình Hưng Hòa", "religious_establishment" },
	{ "Câu lạc bộ chủ nhà trọ phường Tân Tạo", "landlord_club" },
	{ "Trường THPT Bình Tân", "school" },
	{ "Trường THCS Lê Tấn Bê", "school" },
};

static const char *const activities[] = {
	"Ngày Chủ nhật xanh", "Chiến dịch Mùa hè xanh", "Hiến máu tình nguyện",
	"Tiếp sức mùa thi", "Xuân tình nguyện", "Sinh hoạt chi đoàn",
	"Hội thao thanh niên công nhân", "Tập huấn kỹ năng chuyển đổi số",
	"Ngày hội việc làm", "Thăm hỏi gia đình chính sách",
	"Chợ phiên 0 đồng", "Sân chơi thiếu nhi khu nhà trọ",
	"Tư vấn hướng nghiệp", "Đối thoại với thanh niên công nhân",
	"Giải bóng đá mini", "Lớp tiếng Anh miễn phí",
};

static const char *const notes[] = {
	"Đang làm ca đêm", "Mới chuyển đến khu trọ", "Cần hỗ trợ học nghề",
	"Có nguyện vọng vào Đảng", "Tham gia đội hình tình nguyện",
	"Chờ xác minh địa chỉ", "Gia đình khó khăn", "Đã liên hệ qua Zalo",
};

/* ---- values ----------------------------------------------------------- */

const char *wl_ward(struct wl_rng *r)
{
	int n = 0;

	while (schema_ward_codes[n])
		n++;
	return schema_ward_codes[wl_below(r, (uint32_t)n)];
}

void wl_full_name(struct wl_rng *r, int female, char *out, size_t sz)
{
	const char *fam = PICK(r, family);

	if (female) {
		if (wl_chance(r, 25))
			snprintf(out, sz, "%s %s %s %s", fam, PICK(r, middle_f),
				 PICK(r, middle_f), PICK(r, given_f));
		else
			snprintf(out, sz, "%s %s %s", fam, PICK(r, middle_f),
				 PICK(r, given_f));
	} else {
		if (wl_chance(r, 15))
			snprintf(out, sz, "%s %s %s %s", fam, PICK(r, middle_m),
				 PICK(r, middle_m), PICK(r, given_m));
		else
			snprintf(out, sz, "%s %s %s", fam, PICK(r, middle_m),
				 PICK(r, given_m));
	}
}

static int days_in(int y, int m)
{
	static const int d[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : d[m - 1];
}

void wl_date(struct wl_rng *r, int y0, int y1, char *out, size_t sz)
{
	int y = y0 + (int)wl_below(r, (uint32_t)(y1 - y0 + 1));
	int m = 1 + (int)wl_below(r, 12);
	int d = 1 + (int)wl_below(r, (uint32_t)days_in(y, m));

	snprintf(out, sz, "%04d-%02d-%02d", y, m, d);
}

void wl_citizen_id(struct wl_rng *r, const char *birth_date, int female,
		   char *out, size_t sz)
{
	int year = atoi(birth_date);
	int century = year >= 2000 ? 2 : 0;

	snprintf(out, sz, "%03d%d%02d%06u", PICK(r, provinces),
		 century + (female ? 1 : 0), year % 100,
		 (unsigned)wl_below(r, 1000000));
}

void wl_phone(struct wl_rng *r, char *out, size_t sz)
{
	snprintf(out, sz, "%s%07u", PICK(r, phone_prefixes),
		 (unsigned)wl_below(r, 10000000));
}

void wl_address(struct wl_rng *r, char *out, size_t sz)
{
	if (wl_chance(r, 60))
		snprintf(out, sz, "%u/%u %s, khu phố %u",
			 1 + (unsigned)wl_below(r, 400),
			 1 + (unsigned)wl_below(r, 40), PICK(r, streets),
			 1 + (unsigned)wl_below(r, 9));
	else
		snprintf(out, sz, "%u %s, khu phố %u",
			 1 + (unsigned)wl_below(r, 900), PICK(r, streets),
			 1 + (unsigned)wl_below(r, 9));
}

void wl_partner(struct wl_rng *r, char *name, size_t sz, const char **kind)
{
	size_t i = wl_below(r, (uint32_t)N(partners));

	snprintf(name, sz, "%s", partners[i].name);
	if (kind)
		*kind = partners[i].kind;
}

void wl_activity_title(struct wl_rng *r, char *out, size_t sz)
{
	snprintf(out, sz, "%s tháng %u", PICK(r, activities),
		 1 + (unsigned)wl_below(r, 12));
}

static int enum_count(const struct column_desc *c)
{
	int n = 0;

	while (c->enum_values && c->enum_values[n])
		n++;
	return n;
}

static long long int_value(struct wl_rng *r, const struct column_desc *c)
{
	long long lo = c->min, hi = c->max, span;

	/* realistic ranges inside wide declared ones */
	if (lo <= 2020 && hi >= 2027 && strcmp(c->name, "year") == 0) {
		lo = 2020;
		hi = 2027;
	}
	if (strcmp(c->name, "amount") == 0)
		return 1000000LL * (1 + wl_below(r, 100)); /* 1..100 million VND */
	span = hi - lo + 1;
	if (span <= 0 || span > 1000)
		span = 1000;
	return lo + (long long)wl_below(r, (uint32_t)span);
}

static void text_value(struct wl_rng *r, const struct column_desc *c,
		       char *out, size_t sz)
{
	const char *n = c->name;
	char tmp[WL_VALUE_MAX];

	if (strcmp(n, "full_name") == 0 || strcmp(n, "contact") == 0) {
		wl_full_name(r, wl_chance(r, 50), tmp, sizeof(tmp));
		snprintf(out, sz, "%s", tmp);
	} else if (strcmp(n, "address") == 0 || strcmp(n, "place") == 0) {
		wl_address(r, out, sz);
	} else if (strcmp(n, "title") == 0) {
		wl_activity_title(r, out, sz);
	} else if (strcmp(n, "partners") == 0 || strcmp(n, "name") == 0) {
		wl_partner(r, out, sz, NULL);
	} else if (strcmp(n, "card_number") == 0) {
		snprintf(out, sz, "%09u", (unsigned)wl_below(r, 1000000000));
	} else if (strcmp(n, "document_number") == 0) {
		snprintf(out, sz, "%u-CV/ĐTN", 1 + (unsigned)wl_below(r, 999));
	} else if (strcmp(n, "to_unit") == 0) {
		snprintf(out, sz, "Chi đoàn khu phố %u",
			 1 + (unsigned)wl_below(r, 9));
	} else {
		snprintf(out, sz, "%s", PICK(r, notes));
	}
	/* never longer than the column allows (counted in bytes: safe) */
	if (c->max_len > 0 && strlen(out) > (size_t)c->max_len)
		out[c->max_len] = '\0';
}

int wl_value(struct wl_rng *r, const struct table_desc *t, int ci, char *out,
	     size_t sz)
{
	const struct column_desc *c = &t->cols[ci];

	out[0] = '\0';
	switch (c->type) {
	case COL_TEXT:
		text_value(r, c, out, sz);
		return 0;
	case COL_INT:
		snprintf(out, sz, "%lld", int_value(r, c));
		return 0;
	case COL_BOOL:
		snprintf(out, sz, "%d", (int)wl_below(r, 2));
		return 0;
	case COL_DATE:
		if (strcmp(c->name, "birth_date") == 0)
			wl_date(r, 1994, 2010, out, sz);
		else if (c->flags & COL_PAST) /* not in the future */
			wl_date(r, 2018, 2025, out, sz);
		else
			wl_date(r, 2018, 2026, out, sz);
		return 0;
	case COL_ENUM:
		snprintf(out, sz, "%s",
			 c->enum_values[wl_below(r, (uint32_t)enum_count(c))]);
		return 0;
	case COL_CITIZEN_ID: {
		char d[16];

		wl_date(r, 1994, 2010, d, sizeof(d));
		wl_citizen_id(r, d, (int)wl_below(r, 2), out, sz);
		return 0;
	}
	case COL_PHONE:
		wl_phone(r, out, sz);
		return 0;
	case COL_SCOPE:
		snprintf(out, sz, "%s", wl_ward(r));
		return 0;
	case COL_REF:
		return 1;
	}
	return 1;
}

/* ---- rows ------------------------------------------------------------- */

void wl_row_set(struct wl_row *row, int ci, const char *v)
{
	if (ci < 0 || ci >= SCHEMA_MAX_COLUMNS)
		return;
	if (!v) {
		row->vals[ci] = NULL;
		return;
	}
	if (v != row->buf[ci])
		snprintf(row->buf[ci], WL_VALUE_MAX, "%s", v);
	row->vals[ci] = row->buf[ci];
}

static void set_col(struct wl_row *row, const char *name, const char *v)
{
	wl_row_set(row, schema_column_find(row->t, name, false), v);
}

void wl_row_person(struct wl_rng *r, const char *scope, struct wl_row *row)
{
	const struct table_desc *t = schema_table_find("person");
	int female = (int)wl_below(r, 2);
	char name[WL_VALUE_MAX], bd[16], cid[16], buf[WL_VALUE_MAX];

	memset(row->vals, 0, sizeof(row->vals));
	row->t = t;
	wl_row_set(row, 0, scope);
	wl_full_name(r, female, name, sizeof(name));
	set_col(row, "full_name", name);
	wl_date(r, 1994, 2010, bd, sizeof(bd));
	set_col(row, "birth_date", bd);
	set_col(row, "gender", female ? "female" : "male");
	if (wl_chance(r, 90)) {
		wl_citizen_id(r, bd, female, cid, sizeof(cid));
		set_col(row, "citizen_id", cid);
	}
	if (wl_chance(r, 85)) {
		wl_phone(r, buf, sizeof(buf));
		set_col(row, "phone", buf);
	}
	if (wl_chance(r, 80)) {
		wl_address(r, buf, sizeof(buf));
		set_col(row, "address", buf);
	}
	for (int i = 0; i < t->ncols; i++) {
		const struct column_desc *c = &t->cols[i];

		if (row->vals[i] || c->type != COL_ENUM || !wl_chance(r, 70))
			continue;
		/* most people are Kinh, without religion or disability */
		if (strcmp(c->name, "ethnicity") == 0 && wl_chance(r, 85))
			set_col(row, "ethnicity", "kinh");
		else if ((strcmp(c->name, "religion") == 0 ||
			  strcmp(c->name, "disability") == 0) && wl_chance(r, 80))
			wl_row_set(row, i, "none");
		else if (wl_value(r, t, i, row->buf[i], WL_VALUE_MAX) == 0)
			row->vals[i] = row->buf[i];
	}
	if (wl_chance(r, 60)) {
		wl_date(r, 2020, 2025, buf, sizeof(buf));
		set_col(row, "consent_date", buf);
	}
	if (wl_chance(r, 10))
		set_col(row, "five_good", "1");
	if (wl_chance(r, 15)) {
		snprintf(buf, sizeof(buf), "%s", PICK(r, notes));
		set_col(row, "notes", buf);
	}
}

void wl_row_random(struct wl_rng *r, const struct table_desc *t,
		   const char *scope, unsigned fill_pct, struct wl_row *row)
{
	if (strcmp(t->name, "person") == 0) {
		wl_row_person(r, scope, row);
		return;
	}
	memset(row->vals, 0, sizeof(row->vals));
	row->t = t;
	wl_row_set(row, 0, scope);
	for (int i = 1; i < t->ncols; i++) {
		const struct column_desc *c = &t->cols[i];

		if (!(c->flags & COL_REQUIRED) && !wl_chance(r, fill_pct))
			continue;
		if (wl_value(r, t, i, row->buf[i], WL_VALUE_MAX) == 0)
			row->vals[i] = row->buf[i];
	}
	/* a partner's kind matches its name */
	if (strcmp(t->name, "partner") == 0) {
		const char *kind = NULL;
		char name[WL_VALUE_MAX];

		wl_partner(r, name, sizeof(name), &kind);
		set_col(row, "name", name);
		set_col(row, "kind", kind);
	}
}
