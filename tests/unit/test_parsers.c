// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Parsers and decoding on synthetic input: no root, no binaries needed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <elf.h>
#include "target/buildinfo.h"
#include "plan/decode.h"
#include "util/duration.h"
#include "target/elf_image.h"
#include "target/gopclntab.h"
#include "util/log.h"

static void test_duration(void **state)
{
	static const struct { const char *in; uint64_t ns; } ok[] = {
		{ "30s", 30000000000ull }, { "2m", 120000000000ull }, { "500ms", 500000000ull },
		{ "1h", 3600000000000ull }, { "7", 7000000000ull }, { "250us", 250000ull },
	};
	static const char *bad[] = { "", "s", "-1s", "0", "0s", "1x", "1.5s", "10 s", "99999999999999999999s", "3ss" };
	uint64_t ns;
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(*ok); i++) {
		assert_int_equal(parse_duration(ok[i].in, &ns), 0);
		assert_int_equal(ns, ok[i].ns);
	}
	for (i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		assert_int_not_equal(parse_duration(bad[i], &ns), 0);
}

static void test_go_version(void **state)
{
	struct go_version v;

	assert_int_equal(go_version_parse("go1.22.12", &v), 0);
	assert_int_equal(v.minor, 22);
	assert_int_equal(v.patch, 12);
	assert_int_equal(go_version_parse("go1.21rc2", &v), 0);
	assert_int_equal(v.minor, 21);
	assert_int_equal(go_version_parse("devel go1.27-abcdef Tue", &v), 0);
	assert_int_equal(v.minor, 27);
	assert_int_not_equal(go_version_parse("python3.11", &v), 0);
	assert_true(go_version_cmp_minor((struct go_version){ 1, 24, 0 }, 1, 24) == 0);
	assert_true(go_version_cmp_minor((struct go_version){ 1, 9, 0 }, 1, 24) < 0);
}

static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }

/* A minimal Go 1.20+ pclntab with two functions, "main.a" and "main.b". */
static size_t make_pclntab(uint8_t *b, size_t cap)
{
	const size_t hdr = 72, names = hdr, pcln = 96;
	memset(b, 0, cap);
	put32(b, PCLNTAB_MAGIC_120);
	b[6] = 1;
	b[7] = 8;
	put64(b + 8, 2);	 /* nfunc */
	put64(b + 24, 0x401000); /* textStart */
	put64(b + 32, names);
	put64(b + 64, pcln);
	memcpy(b + names, "main.a\0main.b\0", 14);
	/* functab: {0, f0}, {0x40, f1}, {0x80 end} */
	put32(b + pcln + 0, 0x00); put32(b + pcln + 4, 24);
	put32(b + pcln + 8, 0x40); put32(b + pcln + 12, 32);
	put32(b + pcln + 16, 0x80);
	/* _func records: entryOff, nameOff */
	put32(b + pcln + 24, 0x00); put32(b + pcln + 28, 0);
	put32(b + pcln + 32, 0x40); put32(b + pcln + 36, 7);
	return pcln + 48;
}

static void test_pclntab(void **state)
{
	uint8_t b[256];
	size_t n = make_pclntab(b, sizeof(b));
	struct pclntab t;
	uint32_t e, end;
	const char *name;

	assert_int_equal(pclntab_parse(&t, b, n), 0);
	assert_int_equal(t.nfunc, 2);
	assert_int_equal(t.textstart_raw, 0x401000);
	assert_int_equal(pclntab_func(&t, 1, &e, &end, &name), 0);
	assert_int_equal(e, 0x40);
	assert_int_equal(end, 0x80);
	assert_string_equal(name, "main.b");
	assert_int_not_equal(pclntab_func(&t, 2, &e, &end, &name), 0);
}

static void test_pclntab_rejects_corruption(void **state)
{
	uint8_t b[256];
	size_t n = make_pclntab(b, sizeof(b));
	struct pclntab t;
	uint32_t e, end;
	const char *name;

	put64(b + 8, 1ull << 60); /* nfunc beyond the table */
	assert_int_not_equal(pclntab_parse(&t, b, n), 0);
	make_pclntab(b, sizeof(b));
	put32(b, PCLNTAB_MAGIC_116);
	assert_int_not_equal(pclntab_parse(&t, b, n), 0);
	assert_non_null(strstr(ht_last_error(), "Go 1.17 or older"));
	make_pclntab(b, sizeof(b));
	put32(b + 96 + 12, 0xfffff000); /* funcoff outside */
	assert_int_equal(pclntab_parse(&t, b, n), 0);
	assert_int_not_equal(pclntab_func(&t, 1, &e, &end, &name), 0);
	make_pclntab(b, sizeof(b));
	memset(b + 72, 'x', 24); /* names lose their terminators... */
	b[95] = 'x';
	put32(b + 96 + 36, 200); /* ...and a name offset runs off the end */
	assert_int_equal(pclntab_parse(&t, b, n), 0);
	assert_int_not_equal(pclntab_func(&t, 1, &e, &end, &name), 0);
	assert_int_not_equal(pclntab_parse(&t, b, 40), 0);
	/* functab offset within 8 bytes of the end (a fuzzer find) */
	make_pclntab(b, sizeof(b));
	put64(b + 64, n - 4);
	assert_int_not_equal(pclntab_parse(&t, b, n), 0);
}

static void test_elf_rejects_non_programs(void **state)
{
	static const uint8_t script[] = "#!/bin/sh\necho hi\n";
	static const uint8_t text[] = "hello world, not an ELF file";
	struct elf_image img;

	assert_int_not_equal(elf_image_from_memory(&img, script, sizeof(script)), 0);
	assert_non_null(strstr(ht_last_error(), "script"));
	assert_int_not_equal(elf_image_from_memory(&img, text, sizeof(text)), 0);
	assert_non_null(strstr(ht_last_error(), "not an ELF"));
}

/* cmp rsp,[r14+0x10]; jbe +N; push rbp; mov rbp,rsp; ret; ...; ret; int3 padding */
static const uint8_t x86_func[] = {
	0x49, 0x3b, 0x66, 0x10,		/* +0  cmp rsp, [r14+0x10] */
	0x76, 0x08,			/* +4  jbe +8 */
	0x55,				/* +6  push rbp */
	0x48, 0x89, 0xe5,		/* +7  mov rbp, rsp */
	0x5d,				/* +10 pop rbp */
	0xc3,				/* +11 ret */
	0xe8, 0x00, 0x00, 0x00, 0x00,	/* +12 call */
	0xeb, 0xec,			/* +17 jmp entry */
	0xc3,				/* +19 ret */
	0xcc, 0xcc, 0xcc, 0xcc,		/* padding */
};

static void test_decode_x86(void **state)
{
	struct func_code c;

	assert_int_equal(decode_function(EM_X86_64, x86_func, sizeof(x86_func), 0x1000, false, &c), 0);
	assert_int_equal(c.attach, 0x1004);
	assert_int_equal(c.attach_kind, ATTACH_STACK_CHECK_BRANCH);
	assert_int_equal(c.nexits, 2);
	assert_int_equal(c.exits[0], 0x100b);
	assert_int_equal(c.exits[1], 0x1013);
}

static void test_decode_x86_refuses_mid_instruction(void **state)
{
	struct func_code c;

	/* Starting one byte in (a wrong text start) must not look like Go. */
	assert_int_not_equal(decode_function(EM_X86_64, x86_func + 1, sizeof(x86_func) - 1, 0x1001, false, &c), 0);
	assert_non_null(strstr(ht_last_error(), "does not start like a Go function"));
}

static void test_decode_arm64(void **state)
{
	static const uint32_t f[] = {
		0xf9400b90, /* ldr x16, [x28, #16] */
		0xeb3063ff, /* cmp sp, x16 */
		0x54000089, /* b.ls +16 */
		0xf81f0ffe, /* str x30, [sp, #-16]! */
		0xf8e00061, /* ldaddal x0, x1, [x3]: Capstone 4 does not know it */
		0xd65f03c0, /* ret */
		0x00000000, /* padding */
	};
	struct func_code c;

	assert_int_equal(decode_function(EM_AARCH64, (const uint8_t *)f, sizeof(f), 0x2000, false, &c), 0);
	assert_int_equal(c.attach, 0x2008);
	assert_int_equal(c.attach_kind, ATTACH_STACK_CHECK_BRANCH);
	assert_int_equal(c.nexits, 1);
	assert_int_equal(c.exits[0], 0x2014);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_duration),
		cmocka_unit_test(test_go_version),
		cmocka_unit_test(test_pclntab),
		cmocka_unit_test(test_pclntab_rejects_corruption),
		cmocka_unit_test(test_elf_rejects_non_programs),
		cmocka_unit_test(test_decode_x86),
		cmocka_unit_test(test_decode_x86_refuses_mid_instruction),
		cmocka_unit_test(test_decode_arm64),
	};

	return cmocka_run_group_tests_name("parsers", tests, NULL, NULL);
}
