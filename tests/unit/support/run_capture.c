// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include "export/textfile.h"
#include "run_capture.h"

char *test_read_file(const char *path, size_t *len)
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

int test_run_capture(const char *dir, const char *const argv[], const char *in, size_t in_len, char **out)
{
	char in_path[4096], out_path[4096];
	int status, fd;
	pid_t pid;

	snprintf(in_path, sizeof(in_path), "%s/stdin", dir);
	snprintf(out_path, sizeof(out_path), "%s/stdout", dir);
	assert_int_equal(textfile_write(in_path, in, in_len), 0);
	if (access(argv[0], X_OK))
		fail_msg("%s is missing (tools/setup.sh installs it): %s", argv[0], strerror(errno));
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		fd = open(in_path, O_RDONLY);
		dup2(fd, 0);
		fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		dup2(fd, 1);
		dup2(fd, 2);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	*out = test_read_file(out_path, NULL);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
