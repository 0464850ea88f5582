/*
 * schema.c - the declaration of every domain table, and what is derived
 * from it directly (DDL, look-ups).
 *
 * To add a column: add one line to the table's column array below, then a
 * migration step in store.c (ALTER TABLE ... ADD COLUMN) with a new
 * SCHEMA_VERSION.  Column 0 of every table is the scope ("ward").
 */
#include "replicas/schema.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "replicas/banned.h"

const char *const schema_ward_codes[] = {
	"an-lac", "an-lac-a", "binh-hung-hoa", "binh-hung-hoa-a",
	"binh-hung-hoa-b", "binh-tri-dong", "binh-tri-dong-a",
	"binh-tri-dong-b", "tan-tao", "tan-tao-a", NULL,
};

const char *const schema_ward_names[] = {
	"An Lạc", "An Lạc A", "Bình Hưng Hòa", "Bình Hưng Hòa A",
	"Bình Hưng Hòa B", "Bình Trị Đông", "Bình Trị Đông A",
	"Bình Trị Đông B", "Tân Tạo", "Tân Tạo A", NULL,
};

static const char *const unit_kinds[] = {
	"district", "ward", "branch_neighbourhood", "branch_enterprise",
	"branch_school", "chapter", "club", "team", NULL,
};
static const char *const genders[] = { "male", "female", "other", NULL };
static const char *const occupations[] = {
	"worker", "student", "employed", "self_employed", "unemployed",
	"civil_servant", "other", NULL,
};
static const char *const residences[] = {
	"permanent", "temporary", "boarding_house", NULL,
};
/* Sensitive personal data: coded values only, never free text. */
static const char *const ethnicities[] = {
	"kinh", "hoa", "khmer", "cham", "tay", "thai", "muong", "nung",
	"hmong", "dao", "other", NULL,
};
static const char *const religions[] = {
	"none", "buddhism", "catholicism", "protestantism", "caodaism",
	"hoahao", "islam", "other", NULL,
};
static const char *const disabilities[] = {
	"none", "mobility", "visual", "hearing", "speech", "intellectual",
	"psychosocial", "multiple", "other", NULL,
};
static const char *const member_kinds[] = { "union", "federation", NULL };
static const char *const member_roles[] = {
	"member", "secretary", "deputy_secretary", "committee", "core_cadre",
	"collaborator", "propagandist", NULL,
};
static const char *const member_statuses[] = {
	"active", "transferred_out", "aged_out", "removed", NULL,
};
static const char *const transfer_statuses[] = {
	"requested", "accepted", "rejected", "cancelled", NULL,
};
static const char *const activity_kinds[] = {
	"meeting", "volunteer", "training", "sport_culture", "care_visit",
	"market_playground", "exchange", "online", "fundraising", "other", NULL,
};
static const char *const participation_roles[] = {
	"participant", "organiser", "volunteer", "guest", NULL,
};
static const char *const partner_kinds[] = {
	"bank", "vocational_school", "employment_centre", "enterprise",
	"trade_union", "tax_office", "fatherland_front", "ngo",
	"religious_establishment", "landlord_club", "school", "other", NULL,
};
static const char *const support_kinds[] = {
	"loan", "job_referral", "vocational_training", "career_guidance",
	"hardship_care", NULL,
};
static const char *const support_statuses[] = {
	"proposed", "approved", "rejected", "completed", NULL,
};
static const char *const referral_outcomes[] = {
	"pending", "admitted", "not_admitted", NULL,
};
static const char *const target_metrics[] = {
	"new_union_members", "new_federation_members", "party_referrals",
	"party_admissions", "new_units", "activities", "support_cases",
	"youth_reached", NULL,
};

#define REQ COL_REQUIRED
#define SCOPE_COL                                                          \
	{ "ward", COL_SCOPE, REQ | COL_IMMUTABLE, "Phường", "Ward", NULL,  \
	  NULL, 0, 0, 0, "ward code, or the district code for district-wide" }
#define TEXT(n, f, vi, en, len) { n, COL_TEXT, f, vi, en, NULL, NULL, 0, 0, len, NULL }
#define DATE(n, f, vi, en) { n, COL_DATE, f, vi, en, NULL, NULL, 0, 0, 0, "YYYY-MM-DD or DD/MM/YYYY" }
#define PAST COL_PAST
#define ENUM(n, f, vi, en, v) { n, COL_ENUM, f, vi, en, v, NULL, 0, 0, 0, NULL }
#define REF(n, f, vi, en, t) { n, COL_REF, f, vi, en, NULL, t, 0, 0, 0, "id of a " t }
#define INT(n, f, vi, en, lo, hi) { n, COL_INT, f, vi, en, NULL, NULL, lo, hi, 0, NULL }
#define BOOL(n, f, vi, en) { n, COL_BOOL, f, vi, en, NULL, NULL, 0, 0, 0, "yes or no" }

static const struct column_desc unit_cols[] = {
	SCOPE_COL,
	ENUM("kind", REQ, "Loại", "Kind", unit_kinds),
	TEXT("name", REQ, "Tên", "Name", 200),
	REF("parent", 0, "Đơn vị cấp trên", "Parent unit", "unit"),
	REF("partner", 0, "Đối tác", "Partner", "partner"),
	DATE("active_from", 0, "Từ ngày", "Active from"),
	DATE("active_to", 0, "Đến ngày", "Active to"),
};

static const struct column_desc person_cols[] = {
	SCOPE_COL,
	TEXT("full_name", REQ, "Họ và tên", "Full name", 100),
	DATE("birth_date", REQ | PAST, "Ngày sinh", "Birth date"),
	ENUM("gender", 0, "Giới tính", "Gender", genders),
	{ "citizen_id", COL_CITIZEN_ID, 0, "Số CCCD", "Citizen id", NULL, NULL,
	  0, 0, 0, "12-digit CCCD number" },
	{ "phone", COL_PHONE, 0, "Số điện thoại", "Phone", NULL, NULL, 0, 0, 0,
	  "Vietnamese phone number" },
	TEXT("address", 0, "Địa chỉ", "Address", 300),
	ENUM("occupation", 0, "Nghề nghiệp", "Occupation", occupations),
	ENUM("residence", 0, "Cư trú", "Residence", residences),
	ENUM("ethnicity", COL_SENSITIVE, "Dân tộc", "Ethnicity", ethnicities),
	ENUM("religion", COL_SENSITIVE, "Tôn giáo", "Religion", religions),
	ENUM("disability", COL_SENSITIVE, "Khuyết tật", "Disability", disabilities),
	DATE("consent_date", PAST, "Ngày đồng ý", "Consent date"),
	BOOL("five_good", 0, "Sinh viên 5 tốt", "Five-good student"),
	TEXT("notes", 0, "Ghi chú", "Notes", 1000),
	TEXT("email", 0, "Email", "Email", 200),               /* v2 */
};

static const struct column_desc membership_cols[] = {
	SCOPE_COL,
	REF("person", REQ, "Thanh niên", "Person", "person"),
	ENUM("kind", REQ, "Loại", "Kind", member_kinds),
	REF("unit", 0, "Chi đoàn/Chi hội", "Unit", "unit"),
	ENUM("role", 0, "Vai trò", "Role", member_roles),
	DATE("joined_date", PAST, "Ngày kết nạp", "Joined"),
	TEXT("card_number", 0, "Số thẻ", "Card number", 30),
	ENUM("status", 0, "Tình trạng", "Status", member_statuses),
	DATE("left_date", PAST, "Ngày rời", "Left"),
};

static const struct column_desc transfer_cols[] = {
	SCOPE_COL,
	REF("person", REQ, "Thanh niên", "Person", "person"),
	{ "from_ward", COL_SCOPE, 0, "Từ phường", "From ward", NULL, NULL, 0,
	  0, 0, NULL },
	{ "to_ward", COL_SCOPE, REQ, "Đến phường", "To ward", NULL, NULL, 0,
	  0, 0, NULL },
	REF("from_unit", 0, "Từ đơn vị", "From unit", "unit"),
	TEXT("to_unit", 0, "Đến đơn vị", "To unit", 200),
	DATE("requested_date", 0, "Ngày đề nghị", "Requested"),
	DATE("accepted_date", PAST, "Ngày tiếp nhận", "Accepted"),
	ENUM("status", 0, "Tình trạng", "Status", transfer_statuses),
};

static const struct column_desc activity_cols[] = {
	SCOPE_COL,
	TEXT("title", REQ, "Tên hoạt động", "Title", 300),
	INT("line", REQ, "Nhóm giải pháp", "Line of work", 1, 8),
	ENUM("kind", 0, "Loại", "Kind", activity_kinds),
	REF("unit", 0, "Đơn vị", "Unit", "unit"),
	DATE("start_date", 0, "Ngày bắt đầu", "Start"),
	DATE("end_date", 0, "Ngày kết thúc", "End"),
	TEXT("place", 0, "Địa điểm", "Place", 300),
	TEXT("partners", 0, "Đơn vị phối hợp", "Partners", 500),
};

static const struct column_desc participation_cols[] = {
	SCOPE_COL,
	REF("activity", REQ, "Hoạt động", "Activity", "activity"),
	REF("person", 0, "Thanh niên", "Person", "person"),
	INT("head_count", 0, "Số lượng", "Head count", 0, 100000),
	ENUM("role", 0, "Vai trò", "Role", participation_roles),
	BOOL("attended", 0, "Có mặt", "Attended"),
};

static const struct column_desc partner_cols[] = {
	SCOPE_COL,
	TEXT("name", REQ, "Tên đối tác", "Name", 200),
	ENUM("kind", REQ, "Loại", "Kind", partner_kinds),
	TEXT("contact", 0, "Người liên hệ", "Contact", 200),
	{ "phone", COL_PHONE, 0, "Số điện thoại", "Phone", NULL, NULL, 0, 0, 0,
	  "Vietnamese phone number" },
	TEXT("address", 0, "Địa chỉ", "Address", 300),
};

static const struct column_desc support_cols[] = {
	SCOPE_COL,
	REF("person", REQ, "Thanh niên", "Person", "person"),
	ENUM("kind", REQ, "Loại hỗ trợ", "Kind", support_kinds),
	REF("partner", 0, "Đối tác", "Partner", "partner"),
	INT("amount", 0, "Số tiền (VND)", "Amount (VND)", 0, 10000000000LL),
	ENUM("status", 0, "Tình trạng", "Status", support_statuses),
	DATE("proposed_date", 0, "Ngày đề xuất", "Proposed"),
	DATE("decided_date", PAST, "Ngày duyệt", "Decided"),
	DATE("completed_date", PAST, "Ngày hoàn thành", "Completed"),
	TEXT("outcome", 0, "Kết quả", "Outcome", 500),
};

static const struct column_desc referral_cols[] = {
	SCOPE_COL,
	REF("person", REQ, "Đoàn viên", "Person", "person"),
	INT("year", REQ, "Năm", "Year", 2000, 2100),
	DATE("referral_date", PAST, "Ngày giới thiệu", "Referred"),
	TEXT("document_number", 0, "Số văn bản", "Document number", 50),
	ENUM("outcome", 0, "Kết quả", "Outcome", referral_outcomes),
	DATE("admission_date", PAST, "Ngày kết nạp Đảng", "Admitted"),
};

static const struct column_desc target_cols[] = {
	SCOPE_COL,
	REF("unit", 0, "Đơn vị", "Unit", "unit"),
	INT("year", REQ, "Năm", "Year", 2000, 2100),
	ENUM("metric", REQ, "Chỉ tiêu", "Metric", target_metrics),
	INT("value", REQ, "Số lượng", "Value", 0, 1000000000),
};

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

static const struct table_desc t_unit = {
	"unit", "Đơn vị", "Unit", RIGHTS_OWN_SCOPE, unit_cols, N(unit_cols), "name" };
static const struct table_desc t_person = {
	"person", "Thanh niên", "Person", RIGHTS_OWN_SCOPE, person_cols,
	N(person_cols), "full_name" };
static const struct table_desc t_membership = {
	"membership", "Đoàn viên/Hội viên", "Membership", RIGHTS_OWN_SCOPE,
	membership_cols, N(membership_cols), NULL };
static const struct table_desc t_transfer = {
	"transfer", "Chuyển sinh hoạt", "Transfer", RIGHTS_OWN_SCOPE,
	transfer_cols, N(transfer_cols), NULL };
static const struct table_desc t_activity = {
	"activity", "Hoạt động", "Activity", RIGHTS_SHARED, activity_cols,
	N(activity_cols), "title" };
static const struct table_desc t_participation = {
	"participation", "Tham gia", "Participation", RIGHTS_SHARED,
	participation_cols, N(participation_cols), NULL };
static const struct table_desc t_partner = {
	"partner", "Đối tác", "Partner", RIGHTS_SHARED, partner_cols,
	N(partner_cols), "name" };
static const struct table_desc t_support = {
	"support_case", "Hỗ trợ", "Support case", RIGHTS_OWN_SCOPE,
	support_cols, N(support_cols), NULL };
static const struct table_desc t_referral = {
	"party_referral", "Giới thiệu Đảng", "Party referral",
	RIGHTS_OWN_SCOPE, referral_cols, N(referral_cols), NULL };
static const struct table_desc t_target = {
	"target", "Chỉ tiêu", "Target", RIGHTS_HUB_ONLY, target_cols,
	N(target_cols), NULL };

const struct table_desc *const schema_tables[] = {
	&t_partner, &t_unit, &t_person, &t_membership, &t_transfer,
	&t_activity, &t_participation, &t_support, &t_referral, &t_target,
};
const int schema_ntables = N(schema_tables);

/* Compares treating '-' and '_' alike, case-insensitively for ASCII. */
static int name_eq(const char *a, const char *b)
{
	for (; *a && *b; a++, b++) {
		char x = *a == '-' ? '_' : *a, y = *b == '-' ? '_' : *b;

		if (x >= 'A' && x <= 'Z')
			x = (char)(x - 'A' + 'a');
		if (y >= 'A' && y <= 'Z')
			y = (char)(y - 'A' + 'a');
		if (x != y)
			return 0;
	}
	return *a == *b;
}

const struct table_desc *schema_table_find(const char *name)
{
	if (!name)
		return NULL;
	for (int i = 0; i < schema_ntables; i++)
		if (name_eq(schema_tables[i]->name, name))
			return schema_tables[i];
	/* short aliases officers type */
	if (name_eq(name, "support") || name_eq(name, "supports"))
		return &t_support;
	if (name_eq(name, "referral") || name_eq(name, "referrals"))
		return &t_referral;
	if (name_eq(name, "people"))
		return &t_person;
	return NULL;
}

int schema_table_index(const struct table_desc *t)
{
	for (int i = 0; i < schema_ntables; i++)
		if (schema_tables[i] == t)
			return i;
	return -1;
}

int schema_column_find(const struct table_desc *t, const char *name,
		       bool by_label)
{
	for (int i = 0; i < t->ncols; i++) {
		if (name_eq(t->cols[i].name, name))
			return i;
		if (by_label && (strcmp(t->cols[i].label_vi, name) == 0 ||
				 strcasecmp(t->cols[i].label_en, name) == 0))
			return i;
	}
	return -1;
}

static const char *sql_type(enum col_type type)
{
	return type == COL_INT || type == COL_BOOL ? "INTEGER" : "TEXT";
}

char *schema_table_ddl(const struct table_desc *t)
{
	size_t cap = 4096, len = 0;
	char *sql = malloc(cap);

	if (!sql)
		return NULL;
	len += (size_t)snprintf(sql + len, cap - len,
				"CREATE TABLE IF NOT EXISTS %s (\n"
				"  id TEXT PRIMARY KEY NOT NULL", t->name);
	for (int i = 0; i < t->ncols; i++)
		len += (size_t)snprintf(sql + len, cap - len, ",\n  %s %s",
					t->cols[i].name,
					sql_type(t->cols[i].type));
	len += (size_t)snprintf(sql + len, cap - len,
				",\n  _deleted INTEGER NOT NULL DEFAULT 0"
				",\n  _clk BLOB NOT NULL"
				",\n  _fold TEXT\n);\n"
				"CREATE INDEX IF NOT EXISTS %s_ward ON %s(ward);\n",
				t->name, t->name);
	/* references and look-ups are indexed: apply and reports join on them */
	for (int i = 1; i < t->ncols; i++) {
		const struct column_desc *c = &t->cols[i];

		if (c->type == COL_REF || c->type == COL_CITIZEN_ID)
			len += (size_t)snprintf(sql + len, cap - len,
				"CREATE INDEX IF NOT EXISTS %s_%s ON %s(%s);\n",
				t->name, c->name, t->name, c->name);
	}
	return sql;
}

const char *schema_type_name(enum col_type type)
{
	switch (type) {
	case COL_TEXT: return "text";
	case COL_INT: return "whole number";
	case COL_BOOL: return "yes/no";
	case COL_DATE: return "date";
	case COL_ENUM: return "one of a list";
	case COL_REF: return "record id";
	case COL_CITIZEN_ID: return "12-digit citizen id";
	case COL_PHONE: return "phone number";
	case COL_SCOPE: return "ward code";
	}
	return "value";
}
