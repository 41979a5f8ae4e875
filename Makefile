# SPDX-License-Identifier: BSD-2-Clause
# unixcap: `make` builds ./unixcap; `make check` installs what is missing and runs every test.

CC       ?= gcc
CLANG    ?= clang
BPFTOOL  ?= bpftool
BUILD    := build
ARCH     := $(shell uname -m | sed 's/x86_64/x86/')
MULTIARCH := $(shell $(CC) -dumpmachine)
# The version is written once, in include/unixcap.h (UNIXCAP_VERSION_MAJOR, _MINOR, _PATCH).
version_part = $(shell sed -n 's/^.define UNIXCAP_VERSION_$(1)  *\([0-9][0-9]*\)$$/\1/p' include/unixcap.h)
VERSION  := $(call version_part,MAJOR).$(call version_part,MINOR).$(call version_part,PATCH)
ifneq ($(words $(subst ., ,$(VERSION))),3)
$(error cannot read the version from include/unixcap.h: got '$(VERSION)')
endif

# libbpf through pkg-config (a libbpf built elsewhere: PKG_CONFIG_PATH=...); -lbpf without it.
LIBBPF_CFLAGS := $(shell pkg-config --cflags libbpf 2>/dev/null)
LIBBPF_LIBS   := $(or $(shell pkg-config --libs libbpf 2>/dev/null),-lbpf -lelf -lz)

CFLAGS   ?= -O2 -g
CFLAGS   += -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE \
	    -Iinclude -Isrc -I$(BUILD) $(LIBBPF_CFLAGS)
LDLIBS   := $(LIBBPF_LIBS)
BPFCFLAGS := -O2 -g -target bpf -mcpu=v3 -D__TARGET_ARCH_$(ARCH) -I$(BUILD) -I/usr/include/$(MULTIARCH) \
	     $(LIBBPF_CFLAGS) -Wall -Werror
# Each object's header dependencies, written by the compiler as it builds it.
DEPFLAGS  = -MMD -MP -MF $(@:.o=.d)

# Quiet by default, one line per step; `make V=1` prints every command.
ifeq ($(V),1)
Q :=
say = @true
else
Q := @
say = @printf '  %-7s %s\n' $(1) $(2);
endif

# User-space modules, bottom layer first: core (shared by all), format (file formats), then the
# sources of messages — capture (live), readback (-r), proxy (the relay) — then conversations
# and sinks; and inventory, the sockets that exist (unixcap list).
LIB_SRCS := $(wildcard src/core/*.c src/format/*.c src/capture/*.c src/readback/*.c src/proxy/*.c \
		       src/conversations/*.c src/sinks/*.c src/inventory/*.c)
CLI_SRCS := $(wildcard src/cli/*.c)
LIB_OBJS := $(patsubst src/%.c,$(BUILD)/%.o,$(LIB_SRCS))
CLI_OBJS := $(patsubst src/%.c,$(BUILD)/%.o,$(CLI_SRCS))

.PHONY: all clean check deps run tests bench format
all: unixcap

$(BUILD)/vmlinux.h:
	@mkdir -p $(BUILD)
	@test -r /sys/kernel/btf/vmlinux || { echo "build: /sys/kernel/btf/vmlinux is missing: this kernel has no BTF" >&2; exit 1; }
	$(call say,GEN,$@)
	$(Q)$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $@.tmp && mv $@.tmp $@

$(BUILD)/unixcap.bpf.o: src/hooks/unixcap.bpf.c $(BUILD)/vmlinux.h
	$(call say,BPF,$@)
	$(Q)$(CLANG) $(BPFCFLAGS) $(DEPFLAGS) -c $< -o $@

$(BUILD)/unixcap.skel.h: $(BUILD)/unixcap.bpf.o
	$(call say,GEN,$@)
	$(Q)$(BPFTOOL) gen skeleton $< > $@.tmp && mv $@.tmp $@

# Every object waits for the skeleton (session.c includes it); after the first build, each
# rebuilds when a header it includes changes (its .d file), and only then.
# The checksum loop (src/format/synth.c) is vectorised only with a cost model past -O2's default.
$(BUILD)/format/synth.o $(BUILD)/asan/format/synth.o: CFLAGS += -fvect-cost-model=dynamic

$(BUILD)/%.o: src/%.c | $(BUILD)/unixcap.skel.h
	@mkdir -p $(dir $@)
	$(call say,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(DEPFLAGS) -c $< -o $@

# The library (include/unixcap.h) and the programs on it.
$(BUILD)/libunixcap.a: $(LIB_OBJS)
	$(call say,AR,$@)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

unixcap: $(CLI_OBJS) $(BUILD)/libunixcap.a
	$(call say,LD,$@)
	$(Q)$(CC) $(CFLAGS) $^ -o $@ $(LDLIBS)

# Tests: cmocka unit tests built plain and with ASan/UBSan, and the traffic tools the
# integration tests drive.
UNIT_NAMES := $(patsubst tests/unit/%.c,%,$(wildcard tests/unit/test_*.c))
UNIT_BINS  := $(addprefix $(BUILD)/tests/,$(UNIT_NAMES)) $(addprefix $(BUILD)/asan/tests/,$(UNIT_NAMES))
ASAN_FLAGS := -O1 -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
TEST_SRCS  := $(LIB_SRCS) src/cli/options.c src/cli/extcap.c
TEST_OBJS  := $(patsubst src/%.c,$(BUILD)/%.o,$(TEST_SRCS))
ASAN_OBJS  := $(patsubst src/%.c,$(BUILD)/asan/%.o,$(TEST_SRCS))
TOOLS      := $(BUILD)/tools/ucgen $(BUILD)/tools/ucmiss $(BUILD)/tools/ucconc $(BUILD)/pump \
              $(BUILD)/tools/ucsend

$(BUILD)/asan/%.o: src/%.c | $(BUILD)/unixcap.skel.h
	@mkdir -p $(dir $@)
	$(call say,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(ASAN_FLAGS) $(DEPFLAGS) -c $< -o $@

$(BUILD)/tests/%: tests/unit/%.c $(TEST_OBJS) $(wildcard tests/unit/*.h)
	@mkdir -p $(dir $@)
	$(call say,CCLD,$@)
	$(Q)$(CC) $(CFLAGS) $(filter-out %.h,$^) -o $@ $(LDLIBS) -lcmocka

$(BUILD)/asan/tests/%: tests/unit/%.c $(ASAN_OBJS) $(wildcard tests/unit/*.h)
	@mkdir -p $(dir $@)
	$(call say,CCLD,$@)
	$(Q)$(CC) $(CFLAGS) $(ASAN_FLAGS) $(filter-out %.h,$^) -o $@ $(LDLIBS) -lcmocka

# What the generators share: sha256, name lookup, socket buffer sizing.
TOOL_LIB := tests/tools/sha256.c tests/tools/sha256.h tests/tools/toolkit.c tests/tools/toolkit.h

$(BUILD)/tools/ucgen: tests/tools/ucgen.c $(TOOL_LIB)
	@mkdir -p $(dir $@)
	$(call say,CCLD,$@)
	$(Q)$(CC) $(CFLAGS) -Itests/tools tests/tools/ucgen.c $(filter %.c,$(TOOL_LIB)) -o $@

$(BUILD)/tools/ucmiss: tests/tools/ucmiss.c $(TOOL_LIB)
	@mkdir -p $(dir $@)
	$(call say,CCLD,$@)
	$(Q)$(CC) $(CFLAGS) -Itests/tools tests/tools/ucmiss.c $(filter %.c,$(TOOL_LIB)) -o $@

$(BUILD)/tools/ucconc: tests/tools/ucconc.c $(TOOL_LIB)
	@mkdir -p $(dir $@)
	$(call say,CCLD,$@)
	$(Q)$(CC) $(CFLAGS) -pthread -Itests/tools tests/tools/ucconc.c $(filter %.c,$(TOOL_LIB)) -o $@

# Static: it runs inside a container whose image is busybox alone (test_docker.sh).
$(BUILD)/tools/ucsend: tests/tools/ucsend.c
	@mkdir -p $(dir $@)
	$(call say,CCLD,$@)
	$(Q)$(CC) $(CFLAGS) -static $< -o $@

tests: unixcap $(UNIT_BINS) $(TOOLS)

# Fuzzing (fuzz/README.md): libFuzzer harnesses for the option and filter parser and for -r's
# pcapng reader and replay, built with clang, ASan and UBSan from their own clang objects (never
# the gcc ones). `make tests` builds them when clang's libFuzzer runtime is installed
# (libclang-rt-dev); tests/integration/test_fuzz.sh runs them, or says SKIP without it.
FUZZ_RT     := $(filter /%,$(shell $(CLANG) -print-file-name=libclang_rt.fuzzer-$(shell uname -m).a 2>/dev/null))
FUZZ_CFLAGS := -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE \
	       -Iinclude -Isrc -I$(BUILD) -g -O1 -fno-omit-frame-pointer -fno-sanitize-recover=all
FUZZ_SRCS   := $(sort $(LIB_SRCS) $(wildcard src/readback/*.c) src/cli/options.c src/cli/extcap.c)
FUZZ_OBJS   := $(patsubst src/%.c,$(BUILD)/fuzz/obj/%.o,$(FUZZ_SRCS))
FUZZ_BINS   := $(BUILD)/fuzz/fuzz_options $(BUILD)/fuzz/fuzz_pcapng

$(BUILD)/fuzz/obj/%.o: src/%.c | $(BUILD)/unixcap.skel.h
	@mkdir -p $(dir $@)
	$(call say,CLANG,$@)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link,address,undefined $(DEPFLAGS) -c $< -o $@

$(FUZZ_BINS): $(BUILD)/fuzz/%: fuzz/%.c $(FUZZ_OBJS)
	$(call say,CLANG,$@)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer,address,undefined $^ -o $@ $(LDLIBS)

# The pcapng seeds (fuzz/corpus/pcapng) come from the real writer: make fuzz-seeds rewrites them.
$(BUILD)/fuzz/make_seeds: fuzz/make_seeds.c $(TEST_OBJS)
	@mkdir -p $(dir $@)
	$(call say,CCLD,$@)
	$(Q)$(CC) $(CFLAGS) $^ -o $@ $(LDLIBS)

.PHONY: fuzz fuzz-seeds
fuzz: $(FUZZ_BINS)

fuzz-seeds: $(BUILD)/fuzz/make_seeds
	$(BUILD)/fuzz/make_seeds fuzz/corpus/pcapng

tests: $(if $(FUZZ_RT),$(FUZZ_BINS))

# Benchmarks (bench/run.sh): the traffic generators, and the floor: empty syscall hooks.
$(BUILD)/pump: bench/pump.c
	@mkdir -p $(dir $@)
	$(call say,CCLD,$@)
	$(Q)$(CC) $(CFLAGS) $< -o $@

$(BUILD)/writecost: bench/writecost.c
	@mkdir -p $(dir $@)
	$(call say,CCLD,$@)
	$(Q)$(CC) $(CFLAGS) $< -o $@

$(BUILD)/floor.bpf.o: bench/floor.bpf.c $(BUILD)/vmlinux.h
	$(call say,BPF,$@)
	$(Q)$(CLANG) $(BPFCFLAGS) -c $< -o $@

$(BUILD)/floor.skel.h: $(BUILD)/floor.bpf.o
	$(call say,GEN,$@)
	$(Q)$(BPFTOOL) gen skeleton $< > $@.tmp && mv $@.tmp $@

$(BUILD)/floor: bench/floor.c $(BUILD)/floor.skel.h
	$(call say,CCLD,$@)
	$(Q)$(CC) $(CFLAGS) $< -o $@ $(LDLIBS)

bench: deps
	$(MAKE) unixcap $(BUILD)/pump $(BUILD)/floor $(BUILD)/writecost
	./bench/run.sh

# Kernel matrix: the capture tests inside Debian's 6.1 and 6.12 cloud kernels booted under qemu
# (scripts/kernels/matrix.sh; `make check` runs it too, through tests/integration/test_kernels.sh).
.PHONY: check-kernels
check-kernels: deps
	$(MAKE) unixcap $(BUILD)/tools/ucgen $(BUILD)/tools/ucmiss
	./scripts/kernels/matrix.sh

deps:
	./scripts/install-deps.sh

# The header dependencies the compiler wrote; none yet on a first build. Objects stay between
# builds (make would otherwise delete the ASan and fuzz objects as intermediate files).
-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
.SECONDARY:

run: deps
	$(MAKE) all
	./unixcap $(ARGS)

check: deps
	$(MAKE) tests
	./tests/run.sh

clean:
	rm -rf $(BUILD) unixcap

# Every C file of the tree in .clang-format's style (tests/integration/test_layout.sh checks it).
C_FILES = $(shell find src include tests fuzz bench examples -name '*.[ch]' -not -path '*/corpus/*')
format:
	clang-format -i $(C_FILES)

# ---- make install / uninstall / install-caps ----
# The binary, its README (the extcap help page), the man page unixcap(8), the bash completion,
# and an entry in the global extcap folder of the installed Wireshark, so that Wireshark lists
# "AF_UNIX sockets (unixcap)" as an interface.
# EXTCAP_DIR defaults to what `tshark -G folders` calls "Extcap path" (4.0) or "Global Extcap
# path" (4.2 and later); without tshark and without EXTCAP_DIR no extcap entry is installed.
# DESTDIR is honoured everywhere; the entry links to $(BINDIR)/unixcap, where it will be run.
PREFIX     ?= /usr/local
BINDIR     ?= $(PREFIX)/bin
DOCDIR     ?= $(PREFIX)/share/doc/unixcap
INCLUDEDIR ?= $(PREFIX)/include
LIBDIR     ?= $(PREFIX)/lib
MANDIR     ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
CAPS_GROUP ?= unixcap
EXTCAP_DIR ?= $(shell tshark -G folders 2>/dev/null | \
		sed -En 's/^(Global )?Extcap path:[[:space:]]*//p' | head -n 1)

.PHONY: install uninstall install-caps
install: unixcap $(BUILD)/libunixcap.a
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(DOCDIR) $(DESTDIR)$(MANDIR)/man8 \
		$(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(LIBDIR)
	install -m 0755 unixcap $(DESTDIR)$(BINDIR)/unixcap
	install -m 0644 include/unixcap.h $(DESTDIR)$(INCLUDEDIR)/unixcap.h
	install -m 0644 $(BUILD)/libunixcap.a $(DESTDIR)$(LIBDIR)/libunixcap.a
	install -m 0644 README.md $(DESTDIR)$(DOCDIR)/README.md
	install -m 0644 doc/unixcap.8 $(DESTDIR)$(MANDIR)/man8/unixcap.8
	install -m 0644 doc/unixcap.bash-completion $(DESTDIR)$(BASHCOMPDIR)/unixcap
	@dir='$(EXTCAP_DIR)'; \
	if [ -z "$$dir" ]; then \
		echo "install: no Wireshark found (tshark -G folders): no extcap entry installed;" \
		     "set EXTCAP_DIR= to install one" >&2; \
	else \
		echo "install -d $(DESTDIR)$$dir && ln -sfn $(BINDIR)/unixcap $(DESTDIR)$$dir/unixcap"; \
		install -d "$(DESTDIR)$$dir" && ln -sfn "$(BINDIR)/unixcap" "$(DESTDIR)$$dir/unixcap"; \
	fi

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/unixcap $(DESTDIR)$(DOCDIR)/README.md \
		$(DESTDIR)$(MANDIR)/man8/unixcap.8 $(DESTDIR)$(BASHCOMPDIR)/unixcap \
		$(DESTDIR)$(INCLUDEDIR)/unixcap.h $(DESTDIR)$(LIBDIR)/libunixcap.a
	rmdir $(DESTDIR)$(DOCDIR) 2>/dev/null || true
	@dir='$(EXTCAP_DIR)'; \
	if [ -n "$$dir" ]; then echo "rm -f $(DESTDIR)$$dir/unixcap"; rm -f "$(DESTDIR)$$dir/unixcap"; fi

# Optional, as root: lets the members of group $(CAPS_GROUP) capture without root, as dumpcap does
# for group "wireshark": the installed binary becomes root:$(CAPS_GROUP), mode 0750, with CAP_BPF
# and CAP_PERFMON (what loading and attaching tp_btf programs needs). Members can read every
# unix-socket message on the machine. Run it again after each `make install` (a new binary has
# no capabilities). chown comes before setcap: changing the owner clears file capabilities.
install-caps:
	@test -f $(DESTDIR)$(BINDIR)/unixcap || \
		{ echo "install-caps: $(DESTDIR)$(BINDIR)/unixcap is not installed (make install first)" >&2; exit 1; }
	getent group $(CAPS_GROUP) >/dev/null || groupadd --system $(CAPS_GROUP)
	chown root:$(CAPS_GROUP) $(DESTDIR)$(BINDIR)/unixcap
	chmod 0750 $(DESTDIR)$(BINDIR)/unixcap
	setcap cap_bpf,cap_perfmon+ep $(DESTDIR)$(BINDIR)/unixcap
