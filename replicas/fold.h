/*
 * fold.h - Vietnamese-aware search folding.
 *
 * fold_text() maps text to lower-case ASCII without diacritics so that
 * "nguyen van duc" finds "Nguyễn Văn Đức": every Vietnamese letter with
 * tone or vowel marks (precomposed NFC, or decomposed with combining marks)
 * folds to its base letter, đ/Đ fold to d, ASCII is lower-cased, runs of
 * white space become one space, leading/trailing space is dropped.  Other
 * non-ASCII characters are kept as they are (lower-cased where simple).
 */
#ifndef TAPHOP_FOLD_H
#define TAPHOP_FOLD_H

#include <stddef.h>

/* Folds NUL-terminated UTF-8 in into a malloc'd string; NULL on no memory.
 * Invalid UTF-8 bytes are copied through unchanged. */
char *fold_text(const char *in);

#endif
