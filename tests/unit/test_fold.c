/*
 * test_fold.c - unit tests for replicas/fold.c: Vietnamese diacritic
 * folding, precomposed and decomposed, both cases, white space, and the
 * bytes that must pass through unchanged.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "replicas/fold.h"
#include "replicas/banned.h"

#define FOLDS(in, want) check_fold((in), (want), __LINE__)

static void check_fold(const char *in, const char *want, int line)
{
	char *got = fold_text(in);

	if (got == NULL || strcmp(got, want) != 0) {
		print_error("line %d: fold_text(\"%s\") = \"%s\", "
			    "want \"%s\"\n",
			    line, in, got ? got : "(null)", want);
		free(got);
		fail();
	}
	free(got);
}

static void test_fold_name(void **state)
{
	(void)state;
	FOLDS("Nguyễn Văn Đức", "nguyen van duc");
	FOLDS("Trần Thị Bích Ngọc", "tran thi bich ngoc");
	FOLDS("Lê Hoàng Phương Uyên", "le hoang phuong uyen");
	FOLDS("Phường Bình Hưng Hòa", "phuong binh hung hoa");
	FOLDS("nguyen van duc", "nguyen van duc");
}

static void test_fold_uppercase(void **state)
{
	(void)state;
	FOLDS("ĐỨC", "duc");
	FOLDS("NGUYỄN VĂN ĐỨC", "nguyen van duc");
	FOLDS("HỒ CHÍ MINH", "ho chi minh");
	FOLDS("ĐOÀN THANH NIÊN", "doan thanh nien");
}

/* Every precomposed Vietnamese letter: the twelve vowels with no tone and
 * the five tones, in both cases (66 + 66), plus đ/Đ. */
static void test_fold_every_letter(void **state)
{
	(void)state;
	FOLDS("aàáảãạ ăằắẳẵặ âầấẩẫậ", "aaaaaa aaaaaa aaaaaa");
	FOLDS("AÀÁẢÃẠ ĂẰẮẲẴẶ ÂẦẤẨẪẬ", "aaaaaa aaaaaa aaaaaa");
	FOLDS("eèéẻẽẹ êềếểễệ", "eeeeee eeeeee");
	FOLDS("EÈÉẺẼẸ ÊỀẾỂỄỆ", "eeeeee eeeeee");
	FOLDS("iìíỉĩị", "iiiiii");
	FOLDS("IÌÍỈĨỊ", "iiiiii");
	FOLDS("oòóỏõọ ôồốổỗộ ơờớởỡợ", "oooooo oooooo oooooo");
	FOLDS("OÒÓỎÕỌ ÔỒỐỔỖỘ ƠỜỚỞỠỢ", "oooooo oooooo oooooo");
	FOLDS("uùúủũụ ưừứửữự", "uuuuuu uuuuuu");
	FOLDS("UÙÚỦŨỤ ƯỪỨỬỮỰ", "uuuuuu uuuuuu");
	FOLDS("yỳýỷỹỵ", "yyyyyy");
	FOLDS("YỲÝỶỸỴ", "yyyyyy");
	FOLDS("đĐdD", "dddd");
}

/* NFD input, as macOS and some spreadsheets produce it: base letters
 * followed by combining marks U+0300..U+036F, which are dropped. */
static void test_fold_decomposed(void **state)
{
	(void)state;
	/* Nguyễn: e + circumflex U+0302 + tilde U+0303 */
	FOLDS("Nguye\xcc\x82\xcc\x83n", "nguyen");
	/* Đức: Đ + u + horn U+031B + acute U+0301 + c */
	FOLDS("\xc4\x90u\xcc\x9b\xcc\x81\x63", "duc");
	/* Văn: a + breve U+0306 */
	FOLDS("Va\xcc\x86n", "van");
	/* Ngọc: o + dot below U+0323 */
	FOLDS("NGO\xcc\xa3\x43", "ngoc");
	/* marks on ASCII, at the start, and U+036F at the range's end */
	FOLDS("\xcc\x80x\xcd\xaf", "x");
	/* U+0370 is past the range and is kept */
	FOLDS("a\xcd\xb0", "a\xcd\xb0");
	/* mixing NFC and NFD folds the same */
	FOLDS("Nguyễn Nguye\xcc\x82\xcc\x83n", "nguyen nguyen");
}

static void test_fold_whitespace(void **state)
{
	(void)state;
	FOLDS("  Trần \t\n  Thị   Bích  ", "tran thi bich");
	FOLDS("a\r\n\v\fb", "a b");
	FOLDS("a\xc2\xa0\xc2\xa0" "b", "a b");         /* no-break spaces */
	FOLDS("a\xe3\x80\x80" "b", "a b");             /* ideographic space */
	FOLDS("\xef\xbb\xbf" "An L\xe1\xba\xa1" "c", "an lac"); /* BOM */
	FOLDS("", "");
	FOLDS("   \t\n ", "");
	FOLDS("x", "x");
}

static void test_fold_ascii(void **state)
{
	(void)state;
	FOLDS("HELLO World 123", "hello world 123");
	FOLDS("A-Z_a-z.0-9@!", "a-z_a-z.0-9@!");
	FOLDS("binh-tan", "binh-tan");
}

/* Letters outside Vietnamese are kept, lower-cased where simple. */
static void test_fold_other_scripts(void **state)
{
	(void)state;
	FOLDS("ÑANDÚ", "ñandu");     /* Ñ kept (lower-cased), Ú is Vietnamese */
	FOLDS("Straße", "straße");
	FOLDS("ÄÖÜ", "äöü");
	FOLDS("ΑΒΓ", "αβγ");
	FOLDS("ПРИВЕТ Ёж", "привет ёж");
	FOLDS("ŁÓDŹ", "łodź");       /* Ó is Vietnamese and folds to o */
	FOLDS("日本 東京", "日本 東京");
	FOLDS("\xf0\x9f\x98\x80 ok", "\xf0\x9f\x98\x80 ok"); /* emoji */
}

static void test_fold_invalid_bytes(void **state)
{
	(void)state;
	FOLDS("a\xff" "b", "a\xff" "b");
	FOLDS("A\xc3", "a\xc3");                  /* truncated at the end */
	FOLDS("\xc0\xaf" "X", "\xc0\xaf" "x");    /* overlong '/' */
	FOLDS("\xed\xa0\x80", "\xed\xa0\x80");    /* surrogate */
	FOLDS("\xf4\x90\x80\x80", "\xf4\x90\x80\x80"); /* past U+10FFFF */
	FOLDS("\x80\x80 \xc3\x89", "\x80\x80 e");
}

static void test_fold_null(void **state)
{
	(void)state;
	assert_null(fold_text(NULL));
}

/* Random strings of letters, marks, spaces and stray bytes: no crash (run
 * under ASan), never longer than the input, and on valid UTF-8 folding
 * twice changes nothing more. */
static void test_fold_random(void **state)
{
	static const char *const pieces[] = {
		"a", "Z", " ", "\t", "\n", "\xc2\xa0", "Đ", "đ", "\xcc\x81",
		"ự", "À", "Ÿ", "Ω", "Ж", "日", "\xf0\x9f\x98\x80",
		/* invalid from here */
		"\xff", "\xc3", "\x80", "\xed\xa0\x80",
	};
	const size_t npieces = sizeof(pieces) / sizeof(pieces[0]);
	const size_t first_invalid = npieces - 4;
	uint32_t seed = 12345;
	int iter;

	(void)state;
	for (iter = 0; iter < 3000; iter++) {
		char in[256];
		size_t n = 0, k, count = (size_t)(iter % 40);
		int valid = 1;
		char *once, *twice;

		for (k = 0; k < count; k++) {
			size_t pick, len;

			seed = seed * 1103515245u + 12345u;
			pick = (seed >> 16) % npieces;
			len = strlen(pieces[pick]);
			memcpy(in + n, pieces[pick], len);
			n += len;
			valid &= pick < first_invalid;
		}
		in[n] = '\0';
		once = fold_text(in);
		assert_non_null(once);
		assert_true(strlen(once) <= n);
		if (valid) {
			twice = fold_text(once);
			assert_non_null(twice);
			assert_string_equal(once, twice);
			free(twice);
		}
		free(once);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fold_name),
		cmocka_unit_test(test_fold_uppercase),
		cmocka_unit_test(test_fold_every_letter),
		cmocka_unit_test(test_fold_decomposed),
		cmocka_unit_test(test_fold_whitespace),
		cmocka_unit_test(test_fold_ascii),
		cmocka_unit_test(test_fold_other_scripts),
		cmocka_unit_test(test_fold_invalid_bytes),
		cmocka_unit_test(test_fold_null),
		cmocka_unit_test(test_fold_random),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
