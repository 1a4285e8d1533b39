// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include "trace/uprobe_multi.h"
#include "util/log.h"

/*
 * BPF_LINK_CREATE for a uprobe_multi link, which the 6.1 UAPI headers
 * predate: the layout of union bpf_attr's link_create with its uprobe_multi
 * member, as in the kernel's include/uapi/linux/bpf.h.
 */
struct uprobe_multi_link_attr {
	__u32 prog_fd;
	__u32 target_fd;
	__u32 attach_type;
	__u32 link_flags;
	__aligned_u64 path;
	__aligned_u64 offsets;
	__aligned_u64 ref_ctr_offsets;
	__aligned_u64 cookies;
	__u32 cnt;
	__u32 flags; /* never BPF_F_UPROBE_MULTI_RETURN: no return probes on Go */
	__u32 pid;
};

int uprobe_multi_noop_program(void)
{
	const struct bpf_insn ret0[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = (enum bpf_attach_type)HT_BPF_TRACE_UPROBE_MULTI);

	return bpf_prog_load(BPF_PROG_TYPE_KPROBE, "ht_probe_multi", "Dual BSD/GPL", ret0, 2, &opts);
}

bool uprobe_multi_supported(void)
{
	int fd = uprobe_multi_noop_program();

	if (fd < 0)
		return false;
	close(fd);
	return true;
}

int uprobe_multi_link(int prog_fd, const char *path, const uint64_t *offsets, const uint64_t *cookies,
		      unsigned n, pid_t pid)
{
	union {
		union bpf_attr attr;
		struct uprobe_multi_link_attr um;
	} a;
	int fd;

	memset(&a, 0, sizeof(a));
	a.um.prog_fd = (__u32)prog_fd;
	a.um.attach_type = HT_BPF_TRACE_UPROBE_MULTI;
	a.um.path = (__u64)(unsigned long)path;
	a.um.offsets = (__u64)(unsigned long)offsets;
	a.um.cookies = (__u64)(unsigned long)cookies;
	a.um.cnt = n;
	a.um.pid = (__u32)pid;
	fd = (int)syscall(__NR_bpf, BPF_LINK_CREATE, &a, sizeof(a));
	if (fd < 0)
		return ht_fail("uprobe_multi link on %s: %s", path, strerror(errno));
	return fd;
}
