/*
 * The exports' building blocks against the programs that read them:
 * promtool and prometheus_client's OpenMetrics parser for the exposition,
 * go tool pprof for profiles, a raw socket client for the HTTP server.
 * No root needed. A missing oracle fails the test: it never skips.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include "util/log.h"
#include "export/textfile.h"

static char tmpdir[] = "/tmp/ht-export-XXXXXX";

static int group_setup(void **state)
{
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int group_teardown(void **state)
{
	char cmd[64];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	if (len)
		*len = (size_t)n;
	return buf;
}

static bool contains(const char *haystack, const char *needle)
{
	if (!strstr(haystack, needle)) {
		print_error("--- not found: %s\n--- in:\n%s\n", needle, haystack);
		return false;
	}
	return true;
}

/* ---- textfile ---- */

static int count_entries(const char *path)
{
	struct dirent *e;
	DIR *d = opendir(path);
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	closedir(d);
	return n;
}

static void test_textfile_replaces_atomically(void **state)
{
	char dir[128], path[160], other[160], *got;
	struct stat st;
	mode_t old;

	snprintf(dir, sizeof(dir), "%s/textfile", tmpdir);
	assert_int_equal(mkdir(dir, 0755), 0);
	snprintf(path, sizeof(path), "%s/heaptrace.prom", dir);
	old = umask(077); /* the collector runs as another user: 0644 whatever the umask */
	assert_int_equal(textfile_write(path, "a 1\n", 4), 0);
	assert_int_equal(textfile_write(path, "a 2\n", 4), 0);
	umask(old);
	got = read_file(path, NULL);
	assert_string_equal(got, "a 2\n");
	free(got);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	assert_int_equal(count_entries(dir), 1); /* no temporary file left */

	/* a symlink at the path is replaced, never written through */
	snprintf(other, sizeof(other), "%s/victim", dir);
	assert_int_equal(textfile_write(other, "keep", 4), 0);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(symlink(other, path), 0);
	assert_int_equal(textfile_write(path, "new", 3), 0);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	got = read_file(other, NULL);
	assert_string_equal(got, "keep");
	free(got);
}

static void test_textfile_errors_say_what_to_do(void **state)
{
	char path[160], dir[128];

	snprintf(path, sizeof(path), "%s/no/such/dir/x.prom", tmpdir);
	assert_int_equal(textfile_write(path, "x", 1), -1);
	assert_true(contains(ht_last_error(), path));
	assert_true(contains(ht_last_error(), "does the directory exist?"));

	/* a directory in the way: the rename fails and the temporary file goes */
	snprintf(dir, sizeof(dir), "%s/isdir", tmpdir);
	snprintf(path, sizeof(path), "%s/isdir/x.prom", tmpdir);
	assert_int_equal(mkdir(dir, 0755), 0);
	assert_int_equal(mkdir(path, 0755), 0);
	assert_int_equal(textfile_write(path, "x", 1), -1);
	assert_true(contains(ht_last_error(), "cannot rename"));
	assert_int_equal(count_entries(dir), 1);
}

struct reader {
	const char *path;
	volatile bool stop;
	int torn, reads;
};

static void *read_loop(void *arg)
{
	struct reader *r = arg;
	char buf[70000];

	while (!r->stop) {
		int fd = open(r->path, O_RDONLY);
		ssize_t n;

		if (fd < 0)
			continue;
		n = read(fd, buf, sizeof(buf));
		close(fd);
		r->reads++;
		/* each version is 65536 bytes of one letter */
		if (n != 65536 || memchr(buf, buf[0] == 'a' ? 'b' : 'a', (size_t)n))
			r->torn++;
	}
	return NULL;
}

/* A reader in a loop sees one whole version or the other, never a mix. */
static void test_textfile_readers_never_see_a_partial_file(void **state)
{
	static char a[65536], b[65536];
	struct reader r = { 0 };
	char path[160];
	pthread_t t;
	int i;

	memset(a, 'a', sizeof(a));
	memset(b, 'b', sizeof(b));
	snprintf(path, sizeof(path), "%s/torn.prom", tmpdir);
	assert_int_equal(textfile_write(path, a, sizeof(a)), 0);
	r.path = path;
	assert_int_equal(pthread_create(&t, NULL, read_loop, &r), 0);
	for (i = 0; i < 100; i++)
		assert_int_equal(textfile_write(path, i % 2 ? a : b, sizeof(a)), 0);
	r.stop = true;
	pthread_join(t, NULL);
	assert_true(r.reads > 0);
	assert_int_equal(r.torn, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_textfile_replaces_atomically),
		cmocka_unit_test(test_textfile_errors_say_what_to_do),
		cmocka_unit_test(test_textfile_readers_never_see_a_partial_file),
	};

	return cmocka_run_group_tests_name("export", tests, group_setup, group_teardown);
}
