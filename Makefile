# SPDX-License-Identifier: BSD-2-Clause
# nfxdp build: bpf/*.bpf.c -> build/*.bpf.o (BTF) -> build/*.skel.h,
# user/LAYER/*.c -> build/libnfx.a -> build/nfxdp; tests/{unit,bpf}/test_*.c ->
# build/tests/ (tests/run.sh walks the tiers, README "Tests").
# Layers (README "Source map", scripts/check-layers.sh): base <- io decode agg
# enrich sink <- control <- daemon <- cmd.

PREFIX  ?= /usr/local
DESTDIR ?=
BINDIR  ?= $(PREFIX)/sbin
BPFDIR  ?= $(PREFIX)/lib/bpf
MANDIR  ?= $(PREFIX)/share/man
# install-system: the service files (dist/), for packages (debian/rules)
SYSCONFDIR ?= /etc
UNITDIR    ?= $(PREFIX)/lib/systemd/system
OUT     ?= build
ARCH    := $(shell uname -m | sed 's/x86_64/x86/;s/aarch64/arm64/')

CC      ?= gcc
CLANG   ?= clang
BPFTOOL ?= bpftool

V ?= 0
ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

# The version has one home, debian/changelog's first line: "nfxdp (0.1.0) ...".
VERSION := $(shell sed -n '1s/^[^(]*(\([^)]*\)).*/\1/p' debian/changelog 2>/dev/null)

PKGS    := libbpf libxdp libelf zlib json-c yaml-0.1 libpcap libmicrohttpd libcurl libcares libsystemd libcap-ng
# What the build needs, kept apart from the user's CFLAGS (make CFLAGS=-O0
# must not drop -Iinclude or -Werror); -MMD -MP gives each object its header
# dependencies.  CPPFLAGS and LDFLAGS are the user's too (dpkg-buildflags
# hardening: _FORTIFY_SOURCE, relro).
NFX_CFLAGS := -std=gnu11 -Wall -Wextra -Werror -Wno-unused-parameter -D_GNU_SOURCE \
	      -Iinclude -Iuser -I$(OUT)
CFLAGS  ?= -O2 -g
ALL_CFLAGS = $(NFX_CFLAGS) $(CPPFLAGS) $(CFLAGS) $(EXTRA_CFLAGS) $(NFX_DEFS)
DEPFLAGS   = -MMD -MP
LDLIBS  += $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -lbpf -lxdp -lelf -lz -ljson-c -lyaml -lpcap -lmicrohttpd -lcurl -lcares -lsystemd -lcap-ng) -lpthread
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Wall -Werror -Iinclude -Ivmlinux/$(ARCH) -Ibpf

BPF_SRCS  := $(wildcard bpf/*.bpf.c)
BPF_OBJS  := $(patsubst bpf/%.bpf.c,$(OUT)/%.bpf.o,$(BPF_SRCS))
BPF_SKELS := $(patsubst bpf/%.bpf.c,$(OUT)/%.skel.h,$(BPF_SRCS))
USER_DIRS := base io decode agg enrich sink control daemon cmd
LIB_SRCS  := $(filter-out user/cmd/main.c,$(foreach d,$(USER_DIRS),$(wildcard user/$(d)/*.c)))
LIB_OBJS  := $(patsubst user/%.c,$(OUT)/user/%.o,$(LIB_SRCS))
TEST_SRCS := $(wildcard tests/unit/test_*.c tests/bpf/test_*.c)
TEST_BINS := $(patsubst %.c,$(OUT)/tests/%,$(notdir $(TEST_SRCS)))
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
VMLINUX   := vmlinux/$(ARCH)/vmlinux.h

.DELETE_ON_ERROR:
.SECONDARY:
.PHONY: all bin deps-check test tests install install-system deb clean vmlinux fuzz asan \
	fuzz-smoke tsan

all: deps-check $(OUT)/nfxdp $(BPF_OBJS) tests

# What a package ships: the daemon and the BPF object, no tests.
bin: deps-check $(OUT)/nfxdp $(BPF_OBJS)

deps-check:
	@missing=""; \
	for p in $(PKGS); do pkg-config --exists $$p 2>/dev/null || missing="$$missing $$p"; done; \
	for t in $(CLANG) $(BPFTOOL); do command -v $$t >/dev/null 2>&1 || missing="$$missing $$t"; done; \
	if [ -n "$$missing" ]; then \
		echo "missing build dependencies:$$missing"; \
		echo "run: sudo scripts/install-deps.sh"; exit 1; \
	fi

vmlinux:
	scripts/gen-vmlinux.sh $(VMLINUX)

$(VMLINUX):
	scripts/gen-vmlinux.sh $@

$(OUT) $(OUT)/tests $(OUT)/fuzz $(addprefix $(OUT)/user/,$(USER_DIRS)):
	$(Q)mkdir -p $@

$(OUT)/%.bpf.o: bpf/%.bpf.c include/nfx/shared.h $(wildcard bpf/*.h) $(VMLINUX) | $(OUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@.tmp
	$(Q)$(BPFTOOL) gen object $@ $@.tmp && rm -f $@.tmp

$(OUT)/%.skel.h: $(OUT)/%.bpf.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< > $@

# Header dependencies come from -MMD; the skeleton is generated, so its one
# includer names it (a first build has no .d files yet).
$(OUT)/user/%.o: user/%.c | $(addprefix $(OUT)/user/,$(USER_DIRS))
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(DEPFLAGS) -c $< -o $@
$(OUT)/user/io/loader.o: $(OUT)/nfx_xdp.skel.h
# nfxdp --version: ours, and the libbpf/libxdp it was built against
$(OUT)/user/cmd/cmd_info.o: NFX_DEFS = -DNFX_VERSION='"$(VERSION)"' \
	-DNFX_LIBBPF_BUILD='"$(shell pkg-config --modversion libbpf 2>/dev/null)"' \
	-DNFX_LIBXDP_BUILD='"$(shell pkg-config --modversion libxdp 2>/dev/null)"'
$(OUT)/user/cmd/cmd_info.o: debian/changelog

$(OUT)/libnfx.a: $(LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)$(AR) rcs $@ $^

$(OUT)/nfxdp: $(OUT)/user/cmd/main.o $(OUT)/libnfx.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

tests: $(TEST_BINS)

# Tier 1 (tests/unit) and the BPF tier (tests/bpf, root) share the harness
# tests/unit/check.h; headers come from -MMD ($(OUT)/tests/NAME.d).
vpath test_%.c tests/bpf tests/unit
$(OUT)/tests/%: %.c $(OUT)/libnfx.a | $(OUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(DEPFLAGS) -Itests/unit -o $@ $< $(OUT)/libnfx.a $(LDLIBS)
$(OUT)/tests/test_xdp: $(OUT)/nfx_xdp.skel.h
# test_xdp.c was in tests/unit/ before the tiers became folders: an older
# build tree's test_xdp.d still names it (so vpath looks in tests/bpf first)
tests/unit/test_xdp.c: ;

# libFuzzer targets, built with clang and the sanitizers, each run for
# FUZZ_SECONDS (make fuzz FUZZ_SECONDS=N FUZZ_TARGETS="fuzz_v9 fuzz_xdp").
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?=
fuzz: $(BPF_SKELS)
	FUZZ_OUT=$(OUT)/fuzz NFX_BUILD=$(OUT) scripts/fuzz.sh $(FUZZ_SECONDS) $(FUZZ_TARGETS)

# The unit tests and the daemon again under AddressSanitizer + UBSan, in
# their own tree (tests/meta/test-asan.sh runs the hostile-input tests with
# build-asan/nfxdp).
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
asan:
	$(Q)$(MAKE) --no-print-directory OUT=build-asan EXTRA_CFLAGS="$(SAN_FLAGS)" tests \
		build-asan/nfxdp

# The daemon again under ThreadSanitizer (its worker threads), for tests/meta/test-tsan.sh.
tsan:
	$(Q)$(MAKE) --no-print-directory OUT=build-tsan \
		EXTRA_CFLAGS="-fsanitize=thread -fno-omit-frame-pointer" build-tsan/nfxdp

# CI: the kept crash inputs and the seeds, then each target for a short while.
FUZZ_SMOKE_SECONDS ?= 15
fuzz-smoke: $(BPF_SKELS)
	FUZZ_OUT=$(OUT)/fuzz NFX_BUILD=$(OUT) FUZZ_SMOKE_SECONDS=$(FUZZ_SMOKE_SECONDS) tests/meta/test-fuzz.sh

test: all asan tsan
	tests/run.sh

install: bin
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(BPFDIR) $(DESTDIR)$(MANDIR)/man8 \
		$(DESTDIR)$(MANDIR)/man5
	install -m 0755 $(OUT)/nfxdp $(DESTDIR)$(BINDIR)/nfxdp
	install -m 0644 $(OUT)/nfx_xdp.bpf.o $(DESTDIR)$(BPFDIR)/nfx_xdp.bpf.o
	install -m 0644 doc/man/nfxdp.8 $(DESTDIR)$(MANDIR)/man8/nfxdp.8
	install -m 0644 doc/man/nfxdp.json.5 $(DESTDIR)$(MANDIR)/man5/nfxdp.json.5

# The service (dist/): systemd unit, default configuration, logrotate, defaults.
install-system:
	install -d $(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSCONFDIR)/nfxdp \
		$(DESTDIR)$(SYSCONFDIR)/logrotate.d $(DESTDIR)$(SYSCONFDIR)/default
	sed 's|/usr/sbin/nfxdp|$(BINDIR)/nfxdp|' dist/nfxdp@.service \
		> $(DESTDIR)$(UNITDIR)/nfxdp@.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/nfxdp@.service
	install -m 0644 dist/nfxdp.json $(DESTDIR)$(SYSCONFDIR)/nfxdp/nfxdp.json
	install -m 0644 dist/nfxdp.logrotate $(DESTDIR)$(SYSCONFDIR)/logrotate.d/nfxdp
	install -m 0644 dist/nfxdp.default $(DESTDIR)$(SYSCONFDIR)/default/nfxdp

# The Debian package, built from a copy of the tree in $(OUT)/deb
# (scripts/build-deb.sh; debian/rules cleans its tree, which is not ours).
deb:
	scripts/build-deb.sh $(OUT)/deb

clean:
	rm -rf $(OUT) build-asan build-tsan

# Benchmarks (bench/, BENCHMARKS.md): load generator, microbenchmarks, the
# end-to-end comparison with nfcapd and nfacctd.  BENCH_QUICK=1: a few minutes.
BENCH_QUICK ?= 0
BENCH_BINS := $(addprefix $(OUT)/bench/,nfgen micro aggfeed agginsert ch_driver tmplmem)
.PHONY: bench bench-build
bench-build: $(OUT)/nfxdp $(BPF_OBJS) $(BENCH_BINS) $(OUT)/bench/xdp_drop.bpf.o

$(OUT)/bench:
	$(Q)mkdir -p $@

# One program per file; micro, aggfeed and ch_driver include nfgen.c (-MMD
# records it).  nfgen, the load generator, links nothing of ours.
BENCH_LIBS = $(OUT)/libnfx.a $(LDLIBS) -lm
$(OUT)/bench/nfgen: BENCH_LIBS = -lm
$(OUT)/bench/%: bench/%.c $(OUT)/libnfx.a | $(OUT)/bench
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(DEPFLAGS) -Ibench -o $@ $< $(BENCH_LIBS)

$(OUT)/bench/xdp_drop.bpf.o: bench/xdp_drop.bpf.c | $(OUT)/bench
	$(call msg,BPF,$@)
	$(Q)$(CLANG) -g -O2 -target bpf -c $< -o $@

bench: deps-check bench-build
	BENCH_QUICK=$(BENCH_QUICK) NFX_BUILD=$(OUT) bench/run.sh

# Memory: bytes per template (bench/tmplmem) and RSS under sustained load
# with a changing population, bounds reached (bench/memory.sh, ~4 minutes).
.PHONY: bench-memory
bench-memory: deps-check bench-build
	NFX_BUILD=$(OUT) bench/memory.sh

# (not those of the package build's own tree in $(OUT)/deb)
-include $(shell find $(OUT) -path $(OUT)/deb -prune -o -name '*.d' -print 2>/dev/null)
