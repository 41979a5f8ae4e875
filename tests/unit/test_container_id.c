/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for container identity from cgroup paths: each runtime's layout, systemd and
 * cgroupfs drivers, Kubernetes pods, and look-alikes that are not containers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/container_id.h"

#define ID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define POD "8c5f4e7a-2b1d-4c3e-9f0a-1b2c3d4e5f60"
#define POD_ "8c5f4e7a_2b1d_4c3e_9f0a_1b2c3d4e5f60"

struct layout {
	const char *path, *runtime, *id, *pod, *label;
};

static const struct layout layouts[] = {
	{ "/system.slice/docker-" ID ".scope", "docker", ID, "", "docker:0123456789ab" },
	{ "/docker/" ID, "docker", ID, "", "docker:0123456789ab" },
	{ "/docker/" ID "/init.scope", "docker", ID, "", "docker:0123456789ab" },
	{ "/user.slice/user-1000.slice/user@1000.service/app.slice/docker-" ID ".scope", "docker",
	  ID, "", "docker:0123456789ab" },
	{ "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" POD_
	  ".slice/cri-containerd-" ID ".scope",
	  "containerd", ID, POD, "containerd:0123456789ab" },
	{ "/kubepods.slice/kubepods-pod" POD_ ".slice/crio-" ID ".scope", "cri-o", ID, POD,
	  "cri-o:0123456789ab" },
	{ "/kubepods/besteffort/pod" POD "/" ID, "cri", ID, POD, "cri:0123456789ab" },
	{ "/machine.slice/libpod-" ID ".scope/container", "podman", ID, "", "podman:0123456789ab" },
	{ "/machine.slice/machine-web\\x2d1.scope/payload", "nspawn", "web-1", "", "nspawn:web-1" },
	{ "/lxc.payload.db1/init.scope", "lxc", "db1", "", "lxc:db1" },
};

static void test_layouts(void **state)
{
	struct uc_container_id c;
	char label[64];

	(void)state;
	for (size_t i = 0; i < sizeof(layouts) / sizeof(layouts[0]); i++) {
		const struct layout *l = &layouts[i];

		assert_true(uc_container_from_cgroup(l->path, &c));
		assert_string_equal(c.runtime, l->runtime);
		assert_string_equal(c.id, l->id);
		assert_string_equal(c.pod, l->pod);
		uc_container_label(&c, label, sizeof(label));
		assert_string_equal(label, l->label);
		assert_true(c.end > 0 && c.end <= strlen(l->path));
	}
}

static void test_not_containers(void **state)
{
	static const char *const paths[] = {
		"/",
		"",
		"/system.slice/docker.service",
		"/system.slice/docker-0123.scope", /* not a 64-digit id */
		"/machine.slice/libpod-conmon-" ID ".scope",
		"/system.slice/crio-conmon-" ID ".scope",
		"/user.slice/user-1000.slice/session-2.scope",
		"/kubepods.slice/kubepods-burstable.slice", /* a QoS class, no pod */
		"/" ID,                                     /* a bare id outside any pod */
		"/docker",
		"/machine.slice/machine-.scope",
		"/lxc.payload.",
	};
	struct uc_container_id c;

	(void)state;
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		assert_false(uc_container_from_cgroup(paths[i], &c));
		assert_null(c.runtime);
	}
	assert_false(uc_container_from_cgroup(NULL, &c));
}

static void test_label_cut(void **state)
{
	struct uc_container_id c;
	char small[8];

	(void)state;
	assert_true(uc_container_from_cgroup("/docker/" ID, &c));
	assert_int_equal(uc_container_label(&c, small, sizeof(small)), 7);
	assert_string_equal(small, "docker:");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layouts),
		cmocka_unit_test(test_not_containers),
		cmocka_unit_test(test_label_cut),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
