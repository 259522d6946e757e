/* replay.c -- runs a fuzz harness over files, without a fuzzer.
 *
 * Usage: NAME_replay PATH...  where each PATH is a file or a directory of
 * files (not recursive).  Every file is read whole and passed once to
 * LLVMFuzzerTestOneInput, so ctest exercises each harness over its corpus
 * on every run; a crash or sanitizer report fails the test.  Prints
 * "N passed, 0 failed".
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
runfile(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long n;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0) {
		fprintf(stderr, "replay: cannot read %s\n", path);
		if (f)
			fclose(f);
		return -1;
	}
	if ((buf = malloc((size_t)n + 1)) == NULL ||
	    fread(buf, 1, (size_t)n, f) != (size_t)n) {
		fprintf(stderr, "replay: cannot read %s\n", path);
		free(buf);
		fclose(f);
		return -1;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(buf, (size_t)n);
	free(buf);
	return 0;
}

int
main(int argc, char **argv)
{
	char path[4096];
	struct stat sb;
	struct dirent *e;
	long ok = 0, bad = 0;
	DIR *d;
	int i;

	for (i = 1; i < argc; i++) {
		if (stat(argv[i], &sb) != 0) {
			fprintf(stderr, "replay: no such path %s\n", argv[i]);
			bad++;
			continue;
		}
		if (!S_ISDIR(sb.st_mode)) {
			runfile(argv[i]) == 0 ? ok++ : bad++;
			continue;
		}
		if ((d = opendir(argv[i])) == NULL) {
			bad++;
			continue;
		}
		while ((e = readdir(d)) != NULL) {
			if (e->d_name[0] == '.')
				continue;
			snprintf(path, sizeof path, "%s/%s", argv[i],
				 e->d_name);
			if (stat(path, &sb) == 0 && S_ISREG(sb.st_mode))
				runfile(path) == 0 ? ok++ : bad++;
		}
		closedir(d);
	}
	printf("%ld passed, %ld failed\n", ok, bad);
	return bad || ok == 0 ? 1 : 0;
}
