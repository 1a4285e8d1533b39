// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Host mode's labels: container IDs and pod UIDs from /proc/PID/cgroup as
 * the container runtimes write them (examples from their documentation and
 * from real hosts: Docker with the cgroupfs and systemd drivers, containerd
 * under Kubernetes, CRI-O, Podman, cgroup v1 and v2).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "target/labels.h"

#define ID "3f2a4bd1c9e1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b"

static void ids_of(const char *text, const char *cid, const char *pod)
{
	struct proc_labels l;

	memset(&l, 0, sizeof(l));
	cgroup_ids(text, &l);
	assert_string_equal(l.container_id, cid);
	assert_string_equal(l.pod_uid, pod);
}

static void test_container_ids(void **state)
{
	/* Docker, cgroup v1 with cgroupfs (what these machines run) */
	ids_of("12:pids:/docker/" ID "\n11:memory:/docker/" ID "\n0::/\n", ID, "");
	/* Docker, cgroup v2 with the systemd driver */
	ids_of("0::/system.slice/docker-" ID ".scope\n", ID, "");
	/* Kubernetes + containerd, systemd driver: the pod UID has underscores */
	ids_of("0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod12345678_9abc_def0_1234_56789abcdef0.slice/cri-containerd-" ID ".scope\n",
	       ID, "12345678-9abc-def0-1234-56789abcdef0");
	/* Kubernetes, cgroupfs driver (v1) */
	ids_of("4:memory:/kubepods/besteffort/pod0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9/" ID "\n",
	       ID, "0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9");
	/* CRI-O and Podman */
	ids_of("0::/kubepods.slice/kubepods-pod0a1b2c3d_4e5f_6071_8293_a4b5c6d7e8f9.slice/crio-" ID ".scope\n", ID,
	       "0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9");
	ids_of("0::/machine.slice/libpod-" ID ".scope/container\n", ID, "");
	/* not a container: a systemd service, a user session, a short hex name */
	ids_of("0::/system.slice/etcd.service\n", "", "");
	ids_of("0::/user.slice/user-0.slice/session-3.scope\n", "", "");
	ids_of("4:memory:/process_api/8c2ed9bdee2725259159009d35f5aafd\n0::/\n", "", "");
	/* uppercase is not an ID, nor 63 or 65 digits */
	ids_of("0::/docker/3F2A4BD1C9E1B2C3D4E5F60718293A4B5C6D7E8F90A1B2C3D4E5F60718293A4B\n", "", "");
	ids_of("0::/docker/" ID "0\n", "", "");
}

static void test_own_labels(void **state)
{
	struct proc_labels l;

	assert_int_equal(proc_labels_read(getpid(), &l), 0);
	assert_string_equal(l.comm, "test_host");
	assert_int_not_equal(proc_labels_read(0x3ffffff, &l), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_container_ids),
		cmocka_unit_test(test_own_labels),
	};

	return cmocka_run_group_tests_name("host", tests, NULL, NULL);
}
