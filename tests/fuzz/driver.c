/*
 * driver.c - a standalone main() for the fuzz targets, so they build with
 * gcc and run in make check without libFuzzer.
 *
 *   fuzz_x FILE|DIR...              runs each file (a directory: each file
 *                                   in it) through LLVMFuzzerTestOneInput
 *   fuzz_x -runs=N [-seed=S] FILE|DIR...   then N random mutations (bit
 *                                   flips, truncation, splices, random
 *                                   bytes) of those inputs
 * With no input files, mutations start from a few built-in seeds.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "replicas/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct input {
	unsigned char *b;
	size_t n;
};

static struct input *corpus;
static size_t ncorpus;

static void add(const unsigned char *b, size_t n)
{
	corpus = realloc(corpus, (ncorpus + 1) * sizeof(*corpus));
	corpus[ncorpus].b = malloc(n ? n : 1);
	memcpy(corpus[ncorpus].b, b, n);
	corpus[ncorpus++].n = n;
}

static void load_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	unsigned char *b;
	long n;

	if (!f)
		return;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	if (n < 0 || n > (64 << 20)) {
		fclose(f);
		return;
	}
	b = malloc((size_t)n + 1);
	if (fread(b, 1, (size_t)n, f) == (size_t)n) {
		LLVMFuzzerTestOneInput(b, (size_t)n);
		add(b, (size_t)n);
	}
	free(b);
	fclose(f);
}

static void load(const char *path)
{
	struct stat st;
	DIR *d;
	struct dirent *e;
	char p[4096];

	if (stat(path, &st) != 0)
		return;
	if (!S_ISDIR(st.st_mode)) {
		load_file(path);
		return;
	}
	if (!(d = opendir(path)))
		return;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", path, e->d_name);
		load_file(p);
	}
	closedir(d);
}

static uint64_t rng = 88172645463325252ull;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void mutate_run(void)
{
	const struct input *in = &corpus[next() % ncorpus];
	size_t n = in->n, cap = n + 64;
	unsigned char *b = malloc(cap);
	int k = 1 + (int)(next() % 8);

	memcpy(b, in->b, n);
	while (k--) {
		switch (next() % 5) {
		case 0: if (n) b[next() % n] ^= (unsigned char)(1u << (next() % 8)); break;
		case 1: if (n) n = next() % n; break;
		case 2: if (n < cap) b[n++] = (unsigned char)next(); break;
		case 3: if (n) b[next() % n] = (unsigned char)next(); break;
		case 4: if (n > 1) { size_t a = next() % n, c = next() % n, l = next() % (n - (a > c ? a : c));
				     memmove(b + a, b + c, l); } break;
		}
	}
	LLVMFuzzerTestOneInput(b, n);
	free(b);
}

int main(int argc, char **argv)
{
	static const unsigned char seeds[][12] = {
		{ 0x32, 0x02, 0x08, 0x01 },                   /* credit */
		{ 0x3a, 0x02, 0x08, 0x07 },                   /* ping */
		{ 0x1a, 0x06, 0x08, 0x00, 0x12, 0x02, 0x0a, 0x00 }, /* changesets */
		{ 0x22, 0x09, 0x0a, 0x07, 0x0a, 0x01, 0x61, 0x12, 0x01, 0x62, 0x18, 0x01 },
	};
	long runs = 0;

	for (int i = 1; i < argc; i++) {
		if (strncmp(argv[i], "-runs=", 6) == 0)
			runs = strtol(argv[i] + 6, NULL, 10);
		else if (strncmp(argv[i], "-seed=", 6) == 0)
			rng = strtoull(argv[i] + 6, NULL, 10) | 1;
		else if (argv[i][0] != '-')
			load(argv[i]);
	}
	for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
		LLVMFuzzerTestOneInput(seeds[i], sizeof(seeds[i]));
		add(seeds[i], sizeof(seeds[i]));
	}
	for (long r = 0; r < runs; r++)
		mutate_run();
	printf("fuzz: %zu inputs, %ld mutations, no crash\n", ncorpus, runs);
	return 0;
}
