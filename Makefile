# heaptrace build. `make` builds ./heaptrace; `make test` runs unit and
# integration tests; `V=1` shows full commands.
ARCH ?= $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
CC ?= cc
CLANG ?= clang
BPFTOOL ?= bpftool
PREFIX ?= /usr/local
OUT := build

ifeq ($(V),1)
Q :=
msg :=
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

CFLAGS ?= -g -O2
CFLAGS += -std=gnu11 -Wall -Wextra -Werror -Wno-unused-parameter -D_GNU_SOURCE \
	  -Iinclude -Iuser -I$(OUT) -MMD -MP
# Hardening: heaptrace runs with BPF, PERFMON and SYS_PTRACE on every host and
# reads bytes from other processes and the network. PIE (ASLR for its own
# code), canaries on every function with a local array, bounds-checked libc
# calls (level 3 where the compiler has __builtin_dynamic_object_size: gcc
# 12, clang 16), stack-clash probes, CET where the CPU has it, and a GOT
# made read-only before main (full RELRO, BIND_NOW). tests/integration/
# test_hardening.py reads the result with readelf.
FORTIFY_LEVEL := $(shell printf 'int main(void){char b[4];return (int)__builtin_dynamic_object_size(b, 0);}' | \
	$(CC) -x c -O2 -Werror -o /dev/null - 2>/dev/null && echo 3 || echo 2)
CF_PROTECTION := $(shell $(CC) -fcf-protection -x c -c -o /dev/null /dev/null 2>/dev/null && echo -fcf-protection)
HARDEN_CFLAGS := -fPIE -fstack-protector-strong -U_FORTIFY_SOURCE -D_FORTIFY_SOURCE=$(FORTIFY_LEVEL) \
		 -fstack-clash-protection $(CF_PROTECTION)
HARDEN_LDFLAGS := -pie -Wl,-z,relro,-z,now -Wl,-z,noexecstack
CFLAGS += $(HARDEN_CFLAGS)
LDFLAGS += $(HARDEN_LDFLAGS) $(PSX_LDFLAGS)
# libpsx makes libcap's changes (the capability drop, no_new_privs) apply to
# every thread, not only the caller's: it must see each thread created, and
# come before libcap, whose own weak psx_load_syscalls the dynamic linker
# would otherwise pick.
PSX_LDFLAGS := -Wl,-wrap,pthread_create
PSX_LDLIBS := -lpsx -lpthread
LDLIBS := -lbpf -ldw -lelf -lz -lcapstone -ljansson $(PSX_LDLIBS) -lcap
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Wall -Werror \
	      -Iinclude -Ivmlinux/$(ARCH) -MMD -MP

BPF_SRCS := $(wildcard bpf/*.bpf.c)
BPF_OBJS := $(patsubst bpf/%.bpf.c,$(OUT)/%.bpf.o,$(BPF_SRCS))
SKELS := $(patsubst bpf/%.bpf.c,$(OUT)/%.skel.h,$(BPF_SRCS))
# Everything but main.c goes into a library the unit tests link too.
# user/ is split by stage (target, plan, trace, heap, report, util); sources
# include each other's headers by that path.
USER_SRCS := $(wildcard user/*.c user/*/*.c)
LIB_SRCS := $(filter-out user/main.c,$(USER_SRCS))
LIB_OBJS := $(patsubst user/%.c,$(OUT)/user/%.o,$(LIB_SRCS))
UNIT_SRCS := $(wildcard tests/unit/*.c)
# Helpers several unit tests share, linked into each.
UNIT_SUPPORT := $(wildcard tests/unit/support/*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(OUT)/tests/%,$(UNIT_SRCS))

.DELETE_ON_ERROR:
# Keep BPF objects and skeletons: they are inputs of several rules.
.SECONDARY:

.PHONY: FORCE all clean test unit integration targets install demo bench setup fuzz fuzz-short tsan

all: heaptrace

$(OUT) $(OUT)/tests:
	$(Q)mkdir -p $@

$(OUT)/%.bpf.o: bpf/%.bpf.c | $(OUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(OUT)/%.skel.h: $(OUT)/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< > $@

# Objects are rebuilt when the flags change (the hardening flags above, a
# CFLAGS given on the command line): the file changes only then.
$(OUT)/cflags: FORCE | $(OUT)
	$(Q)echo '$(CC) $(CFLAGS) $(LDFLAGS)' | cmp -s - $@ || echo '$(CC) $(CFLAGS) $(LDFLAGS)' > $@
FORCE:

# User objects may include any skeleton; generate them first.
$(OUT)/user/%.o: user/%.c $(OUT)/cflags | $(SKELS) $(OUT)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

# Exports: pprof's profile.proto compiled by protoc-c into $(OUT)/export/
# (included as "export/profile.pb-c.h"), built into the library; every user
# object waits for the header, as for the skeletons.
PROTO_C := $(OUT)/export/profile.pb-c.c
PROTO_H := $(PROTO_C:.c=.h)
LIB_SRCS += $(PROTO_C)
LIB_OBJS += $(PROTO_C:.c=.o)
LDLIBS += -lmicrohttpd -lprotobuf-c
# The HTTP server stage (user/serve/): TLS (GnuTLS, which libmicrohttpd is
# built with), --web-config (libyaml), bcrypt (libxcrypt's crypt_rn), the
# seccomp allow-list (libseccomp).
LDLIBS += -lgnutls -lyaml -lcrypt -lseccomp
$(PROTO_C) $(PROTO_H) &: user/export/profile.proto
	$(call msg,PROTOC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)protoc-c --proto_path=$(<D) --c_out=$(@D) $<
$(PROTO_C:.c=.o): $(PROTO_C) $(OUT)/cflags
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@
$(LIB_OBJS) $(OUT)/user/main.o: | $(PROTO_H)

$(OUT)/libheaptrace.a: $(LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)$(AR) rcs $@ $^

heaptrace: $(OUT)/user/main.o $(OUT)/libheaptrace.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(OUT)/tests/%: tests/unit/%.c $(UNIT_SUPPORT) $(OUT)/libheaptrace.a | $(OUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -Itests/unit $< $(UNIT_SUPPORT) $(OUT)/libheaptrace.a $(LDFLAGS) $(LDLIBS) -lcmocka -o $@

# libFuzzer harnesses: the readers built with ASan and UBSan, the library
# compiled once for all of them (fuzzer-no-link: instrumented, no main).
FUZZ_CFLAGS := -g -O1 -std=gnu11 -D_GNU_SOURCE -Iinclude -Iuser -I$(OUT) \
	       -fsanitize=address,undefined -fno-sanitize-recover=undefined -MMD -MP
FUZZ_OBJS := $(patsubst user/%.c,$(OUT)/fuzz/obj/%.o,$(filter user/%,$(LIB_SRCS))) \
	     $(patsubst $(OUT)/%.c,$(OUT)/fuzz/obj/%.o,$(filter $(OUT)/%,$(LIB_SRCS)))
FUZZ_BINS := $(patsubst tests/fuzz/%.c,$(OUT)/fuzz/%,$(wildcard tests/fuzz/*.c))
FUZZ_SECONDS ?= 300
$(OUT)/fuzz:
	$(Q)mkdir -p $@

$(OUT)/fuzz/obj/%.o: user/%.c | $(SKELS) $(PROTO_H)
	$(call msg,FUZZ-CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

$(OUT)/fuzz/obj/%.o: $(OUT)/%.c | $(PROTO_H)
	$(call msg,FUZZ-CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

$(OUT)/fuzz/%: tests/fuzz/%.c $(FUZZ_OBJS) | $(SKELS) $(OUT)/fuzz
	$(call msg,FUZZ-LD,$@)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer $< $(FUZZ_OBJS) $(LDLIBS) -o $@

# make fuzz: long runs; make test runs a short one (30 s a harness).
fuzz: $(FUZZ_BINS) targets
	$(Q)tools/fuzz.sh $(FUZZ_SECONDS) $(OUT)/targets $(FUZZ_BINS)

fuzz-short: $(FUZZ_BINS) targets
	$(Q)tools/fuzz.sh 30 $(OUT)/targets $(FUZZ_BINS)

# Go programs the tests run and read, built with every toolchain we support.
targets:
	$(Q)tools/build-targets.sh $(OUT)/targets

unit: $(UNIT_BINS) targets
	$(Q)tools/run-unit.sh $(OUT)/targets $(UNIT_BINS)

integration: heaptrace targets
	$(Q)tools/run-integration.sh $(OUT)/targets

# ThreadSanitizer: heaptrace built with -fsanitize=thread traces a launched
# program (the calibration thread, the HTTP server's threads and the main
# loop all run); any report fails.
TSAN_BIN := $(OUT)/tsan/heaptrace
$(TSAN_BIN): $(USER_SRCS) $(PROTO_C) | $(SKELS) $(PROTO_H)
	$(call msg,TSAN-CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) -g -O1 -std=gnu11 -D_GNU_SOURCE -Iinclude -Iuser -I$(OUT) -fsanitize=thread \
		$(USER_SRCS) $(PROTO_C) $(PSX_LDFLAGS) $(LDLIBS) -o $@

tsan: $(TSAN_BIN) targets
	$(Q)tools/tsan.sh $(TSAN_BIN) $(OUT)/targets

test: unit integration fuzz-short tsan

setup:
	$(Q)tools/setup.sh

# Not part of make test: overhead is measured here, side by side, not by timed tests.
bench: heaptrace targets
	$(Q)/usr/bin/python3 tools/bench.py

demo: heaptrace
	$(Q)tools/demo.sh

# $(call need,TOOL,PACKAGE): stop with what to install when TOOL is missing.
need = command -v $(1) >/dev/null || { echo "make: $(1) not found: run make setup (Debian package $(2))" >&2; exit 1; }

# The manual page, rendered by scdoc. groff's .TH turns hyphenation back on
# after scdoc's .nh: turn it off again, so that option and metric names are
# never split.
MAN_PAGE := $(OUT)/man/heaptrace.8.gz
$(OUT)/man/heaptrace.8: doc/heaptrace.8.scd
	$(call msg,SCDOC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(call need,scdoc,scdoc)
	$(Q)scdoc < $< > $@
	$(Q)sed -i '/^\.TH /a .nh' $@

$(OUT)/man/%.gz: $(OUT)/man/%
	$(Q)gzip -9 -n -c $< > $@

# Shell completion, generated from the built binary's --help (the options
# argp parses), so that it cannot drift from them.
COMPLETIONS := $(OUT)/completion/heaptrace $(OUT)/completion/_heaptrace
$(OUT)/completion/heaptrace: completion/heaptrace.bash.in tools/gen-completion.py heaptrace
	$(call msg,GEN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)tools/gen-completion.py bash $< ./heaptrace > $@
$(OUT)/completion/_heaptrace: completion/heaptrace.zsh.in tools/gen-completion.py heaptrace
	$(call msg,GEN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)tools/gen-completion.py zsh $< ./heaptrace > $@

.PHONY: man completion uninstall deb package-check
man: $(MAN_PAGE)
completion: $(COMPLETIONS)

# Where `make install` puts things; the Debian package is `make install
# PREFIX=/usr`, so both hold the same files at the same places.
SBINDIR ?= $(PREFIX)/sbin
MANDIR ?= $(PREFIX)/share/man
BASH_COMPLETION_DIR ?= $(PREFIX)/share/bash-completion/completions
ZSH_COMPLETION_DIR ?= $(PREFIX)/share/zsh/vendor-completions
SYSTEMD_UNIT_DIR ?= /lib/systemd/system
DOC_DIR ?= $(PREFIX)/share/doc/heaptrace
EXAMPLES_DIR := $(DOC_DIR)/examples
# Mode, file, destination: what install installs and uninstall removes.
INSTALLED := \
	0755 heaptrace $(SBINDIR)/heaptrace \
	0644 $(MAN_PAGE) $(MANDIR)/man8/heaptrace.8.gz \
	0644 $(OUT)/completion/heaptrace $(BASH_COMPLETION_DIR)/heaptrace \
	0644 $(OUT)/completion/_heaptrace $(ZSH_COMPLETION_DIR)/_heaptrace \
	0644 deploy/heaptrace.service $(SYSTEMD_UNIT_DIR)/heaptrace.service \
	0644 deploy/daemonset.yaml $(EXAMPLES_DIR)/daemonset.yaml \
	0644 deploy/grafana-heaptrace.json $(EXAMPLES_DIR)/grafana-heaptrace.json

# The unit runs heaptrace by its path, whatever deploy/ says it is: the
# installed copy names $(SBINDIR).
install: heaptrace $(MAN_PAGE) $(COMPLETIONS)
	$(Q)set -e; set -- $(INSTALLED); while [ $$# -gt 0 ]; do \
		printf '  %-8s %s\n' INSTALL "$(DESTDIR)$$3"; \
		install -D -m $$1 $$2 "$(DESTDIR)$$3"; shift 3; done
	$(Q)sed -i 's#^\(ExecStart=[-+!@:]*\)[^ ]*/heaptrace\b#\1$(SBINDIR)/heaptrace#' \
		"$(DESTDIR)$(SYSTEMD_UNIT_DIR)/heaptrace.service"

uninstall:
	$(Q)set -- $(INSTALLED); while [ $$# -gt 0 ]; do \
		printf '  %-8s %s\n' RM "$(DESTDIR)$$3"; rm -f "$(DESTDIR)$$3"; shift 3; done
	$(Q)for d in "$(DESTDIR)$(EXAMPLES_DIR)" "$(DESTDIR)$(DOC_DIR)"; do \
		[ ! -d "$$d" ] || rmdir --ignore-fail-on-non-empty "$$d"; done

# The Debian package, built by dpkg-buildpackage from debian/ (which runs
# `make install PREFIX=/usr`): heaptrace_VERSION_ARCH.deb lands here, the
# .changes, .buildinfo, debug symbols and build log in $(OUT)/deb. The tree
# is not cleaned first: the package holds the binary that was built and
# tested.
DEB_OUT := $(CURDIR)/$(OUT)/deb
# What debhelper leaves in debian/ (.gitignore lists them too).
DEB_LEFTOVERS := debian/heaptrace debian/.debhelper debian/files debian/debhelper-build-stamp \
	debian/*.substvars debian/*.debhelper debian/*.debhelper.log
deb:
	$(Q)$(call need,dpkg-buildpackage,dpkg-dev)
	$(Q)$(call need,dh,debhelper)
	$(Q)rm -rf $(DEB_OUT) heaptrace_*.deb && mkdir -p $(DEB_OUT)
	$(Q)DEB_DESTDIR=$(DEB_OUT) dpkg-buildpackage --build=binary --no-pre-clean --no-sign -Jauto \
		--buildinfo-file=$(DEB_OUT)/heaptrace.buildinfo --buildinfo-option=-u$(DEB_OUT) \
		--changes-file=$(DEB_OUT)/heaptrace.changes --changes-option=-u$(DEB_OUT) \
		$(if $(Q),>$(DEB_OUT)/build.log 2>&1 || { tail -40 $(DEB_OUT)/build.log; \
			echo "make deb: dpkg-buildpackage failed (its whole output: $(DEB_OUT)/build.log)" >&2; exit 1; })
	$(Q)cd $(DEB_OUT) && for deb in heaptrace_*.deb; do cp $$deb $(CURDIR)/; printf '  %-8s %s\n' DEB $$deb; done

# The package as Debian's lintian sees it: any error fails; warnings are
# printed (README says which remain and why).
package-check: deb
	$(Q)$(call need,lintian,lintian)
	$(Q)for deb in heaptrace_*.deb; do printf '  %-8s %s\n' LINTIAN $$deb; \
		lintian --fail-on error --display-info $$deb || exit 1; done

clean:
	rm -rf $(OUT) heaptrace heaptrace_*.deb $(DEB_LEFTOVERS)

-include $(wildcard $(OUT)/*.d $(OUT)/user/*.d $(OUT)/user/*/*.d $(OUT)/tests/*.d $(OUT)/fuzz/obj/*/*.d)
