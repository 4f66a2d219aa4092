# nicq — qemu-kvm NIC conformance harness.
#
#   make            build ./nicq
#   make deps       install the Debian packages nicq needs (root)
#   make guest      build (or reuse) the guest image under build/guest/
#   make run        run the matrix in nicq's private lab (quick profile)
#   make check      unit tests, then integration in the private lab, ending
#                   with --connect against an independent libvirtd
#   make unit       unit tests only
#   make SANITIZE=address,undefined unit
#   make san-run    the sanitizer build runs one real point (part of check)
#   make install    the binary, nicq(1), the guest recipe and a bash
#                   completion under $(DESTDIR)$(PREFIX) (/usr/local)
#   make install-check  install into a scratch DESTDIR and try it
#   make fuzz       build the libFuzzer targets (clang) under build/fuzz/
#   make fuzz-check replay each target's corpus briefly (part of make check)
#   make fuzz-long  fuzz each target for FUZZ_SECONDS (default 600)
#
# Every target that needs packages calls scripts/deps.sh --check first, which
# says what is missing and how to install it.

CC       ?= cc
# "0.1.0+g<commit>[.dirty]" in a git checkout, the VERSION file's alone
# elsewhere (a release tarball)
NICQ_VERSION := $(shell cat VERSION)$(shell git rev-parse --short HEAD \
	>/dev/null 2>&1 && printf '+g%s' "$$(git rev-parse --short HEAD)" && \
	{ git diff --quiet HEAD -- 2>/dev/null || printf .dirty; })
PKGS     := libvirt libssh libxml-2.0 libpcap glib-2.0 json-glib-1.0
BUILD    := build
SANITIZE ?=
# make check builds with this many jobs
JOBS     := $(shell nproc 2>/dev/null || echo 2)

ifneq ($(SANITIZE),)
BUILD    := build/san
SANFLAGS := -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -g
# -O1, as sanitizer builds usually are: it is make check's longest build
# lane (178 s of 2 cores at -O2 in CI-like run ci-27, the others beside it)
CFLAGS   ?= -O1 -g
endif

WARN     := -Wall -Wextra -Werror -Wmissing-prototypes -Wvla -Wshadow \
            -Wno-missing-field-initializers -Wformat=2 -Wno-format-nonliteral
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CFLAGS   ?= -O2 -g
CFLAGS   += -std=gnu11 $(WARN) $(SANFLAGS) -Iharness -Icases $(PKG_CFLAGS) \
            -D_GNU_SOURCE -DNICQ_SRCDIR='"$(CURDIR)"'
LDLIBS   := $(PKG_LIBS) -lpthread -lm
LDFLAGS  += $(SANFLAGS)

LIB_SRCS := $(filter-out harness/main.c,$(wildcard harness/*.c)) \
            $(wildcard cases/*.c)
LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/%.o)
TEST_SRCS := $(wildcard tests/test_*.c)
TESTS    := $(TEST_SRCS:tests/%.c=$(BUILD)/tests/%)
# Helpers for tests, fixture generators and benchmarks (tests/pcapgen.c
# writes captures); an archive, so each program takes only what it uses.
TESTLIB_SRCS := tests/pcapgen.c
TESTLIB  := $(BUILD)/tests/libtesthelp.a
HEADERS  := $(wildcard harness/*.h cases/*.h)

.PHONY: all deps guest run check unit integration connect-check clean bench \
	cleanup FORCE \
	install uninstall install-check fuzz fuzz-check fuzz-long san-run unit-build
all: nicq

deps:
	scripts/deps.sh --install

# quiet by default ("CC harness/lab.o"); V=1 shows the commands
ifeq ($(V),1)
Q :=
say = @:
else
Q := @
say = @printf '  %-6s %s\n' $(1) $(2);
endif

$(BUILD)/%.o: %.c $(HEADERS)
	@mkdir -p $(dir $@)
	$(call say,CC,$<)
	$(Q)$(CC) $(CFLAGS) -c -o $@ $<

# the version is compiled into version.o alone, rebuilt when it changes
$(BUILD)/version.stamp: FORCE
	@mkdir -p $(BUILD)
	@echo '$(NICQ_VERSION)' | cmp -s - $@ || echo '$(NICQ_VERSION)' > $@
$(BUILD)/harness/version.o: $(BUILD)/version.stamp
$(BUILD)/harness/version.o: CFLAGS += -DNICQ_VERSION='"$(NICQ_VERSION)"'

$(BUILD)/libnicq.a: $(LIB_OBJS)
	@rm -f $@
	$(call say,AR,$@)
	$(Q)ar rcs $@ $^

ifeq ($(SANITIZE),)
nicq: $(BUILD)/harness/main.o $(BUILD)/libnicq.a
	$(call say,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
else
nicq: $(BUILD)/nicq
	@echo "sanitizer build is $(BUILD)/nicq"
$(BUILD)/nicq: $(BUILD)/harness/main.o $(BUILD)/libnicq.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
endif

$(BUILD)/tests/%.o: tests/%.c $(wildcard tests/*.h)
	@mkdir -p $(dir $@)
	$(call say,CC,$<)
	$(Q)$(CC) $(CFLAGS) -Itests -c -o $@ $<

$(TESTLIB): $(TESTLIB_SRCS:%.c=$(BUILD)/%.o)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/tests/test_%: tests/test_%.c $(BUILD)/libnicq.a $(TESTLIB) $(HEADERS) $(wildcard tests/*.h)
	@mkdir -p $(dir $@)
	$(call say,CCLD,$@)
	$(Q)$(CC) $(CFLAGS) -Itests $(LDFLAGS) -o $@ $< $(BUILD)/libnicq.a $(TESTLIB) $(LDLIBS) -lcmocka

# test_pcapgen swaps the file mkstemps() made for a symlink, in a wrapper.
$(BUILD)/tests/test_pcapgen: LDFLAGS += -Wl,--wrap=mkstemps

$(BUILD)/tests/fixgen: tests/fixgen.c $(TESTLIB) $(wildcard tests/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests $(LDFLAGS) -o $@ $< $(TESTLIB) $(LDLIBS)

guest:
	guests/build-image.sh $(BUILD)/guest

unit: $(TESTS)
	@scripts/unit.sh $(TESTS)

# the unit tests built, not run (test_hostprobe reads the built guest image)
unit-build: $(TESTS)

tests/node_modules: tests/package.json tests/package-lock.json
	npm ci --prefix tests --no-audit --no-fund --loglevel=error
	@touch $@

integration: nicq guest tests/node_modules
	tests/integration.sh

# The sanitizer build runs one real point once (ASan and UBSan silent).
san-run: guest
	$(MAKE) SANITIZE=address,undefined nicq
	tests/san-run.sh build/san/nicq

# --connect against an independent libvirtd in a namespace of its own;
# integration runs it at its end (its leftover checks would see that daemon
# earlier)
connect-check: nicq guest
	tests/connect-check.sh

# The builds use every core and go at once: nicq with its unit tests, the
# guest image (downloads and unpacking: mostly one process) and the npm
# modules; the sanitizer build; the fuzz targets.  The unit tests run once
# the image is there (test_hostprobe reads it).  Then two streams at once,
# each mostly one process: the integration tests (with the sanitizer
# build's real point in their pool of control runs); the unit tests, the
# sanitizer build's unit tests and the fuzz corpora's replay, the TAP
# consumers on the fixtures and the install check (tests/together.sh keeps
# each one's output apart and says how long it took).  The second stream runs at nice
# 10: the guests of the first are timed, and a TCG vCPU kept from a core
# for 10 ms overflows a small receive ring (cases/ping.c, step_repeats()).
check:
	@echo "== $$(date +%T) scripts/deps.sh --install"
	scripts/deps.sh --install
	@echo "== $$(date +%T) builds at once: nicq and unit tests, guest image, npm modules; sanitizer build; fuzz targets"
	tests/together.sh \
		"$(MAKE) -j$(JOBS) nicq unit-build guest tests/node_modules" \
		"$(MAKE) -j$(JOBS) SANITIZE=address,undefined nicq unit-build" \
		"$(MAKE) -j$(JOBS) fuzz"
	@echo "== $$(date +%T) at once: make integration, the sanitizer build's point in its pool (its output as it comes); unit tests, sanitizer unit tests, fuzz-check, TAP consumers, install-check (their output after)"
	tests/together.sh --first-live \
		"NICQ_SAN=build/san/nicq $(MAKE) integration" \
		"r=0; renice -n 10 \$$\$$ >/dev/null; $(MAKE) unit || r=1; $(MAKE) SANITIZE=address,undefined unit || r=1; $(MAKE) fuzz-check || r=1; tests/tap-consumers.sh --fixtures || r=1; $(MAKE) install-check || r=1; exit \$$r"
	@echo "== $$(date +%T) make check done"

# ---- install ----------------------------------------------------------------
# An installed nicq finds its data next to it (<prefix>/share/nicq), so the
# tree can be moved as a whole; its guest image goes to ~/.cache/nicq/guest
# ('nicq build-image').
PREFIX  ?= /usr/local
DESTDIR ?=
BINDIR  := $(PREFIX)/bin
DATADIR := $(PREFIX)/share/nicq
MANDIR  := $(PREFIX)/share/man/man1
DOCDIR  := $(PREFIX)/share/doc/nicq
COMPDIR := $(PREFIX)/share/bash-completion/completions

install: nicq
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(DATADIR)/guests \
		$(DESTDIR)$(MANDIR) $(DESTDIR)$(DOCDIR) $(DESTDIR)$(COMPDIR)
	install -m 0755 nicq $(DESTDIR)$(BINDIR)/nicq
	install -m 0755 guests/build-image.sh guests/init \
		$(DESTDIR)$(DATADIR)/guests/
	install -m 0644 guests/packages.txt guests/modules.txt \
		$(DESTDIR)$(DATADIR)/guests/
	install -m 0644 docs/nicq.1 $(DESTDIR)$(MANDIR)/nicq.1
	install -m 0644 README.md docs/result-schema.md docs/result-schema.json \
		docs/results-schema.md docs/results-schema.json $(DESTDIR)$(DOCDIR)/
	install -m 0644 scripts/nicq-completion.bash $(DESTDIR)$(COMPDIR)/nicq

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/nicq $(DESTDIR)$(MANDIR)/nicq.1 \
		$(DESTDIR)$(COMPDIR)/nicq
	rm -rf $(DESTDIR)$(DATADIR) $(DESTDIR)$(DOCDIR)

install-check: nicq guest
	tests/install-check.sh

run:
	scripts/deps.sh --install
	$(MAKE) nicq guest
	./nicq run --profile quick

cleanup: nicq
	./nicq cleanup

bench: nicq guest
	bench/run.sh

clean:
	rm -rf build nicq

$(BUILD)/bench_echo: bench/bench_echo.c $(BUILD)/libnicq.a $(TESTLIB) $(HEADERS) $(wildcard tests/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests $(LDFLAGS) -o $@ $< $(BUILD)/libnicq.a $(TESTLIB) $(LDLIBS)

$(BUILD)/bench_klog: bench/bench_klog.c $(BUILD)/libnicq.a $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/libnicq.a $(LDLIBS)

$(BUILD)/tests/fixgen_vlan: tests/fixgen_vlan.c $(TESTLIB) $(wildcard tests/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests $(LDFLAGS) -o $@ $< $(TESTLIB) $(LDLIBS)

# ---- fuzzing: clang's libFuzzer with ASan and UBSan (fuzz/README.md) ----
# One target per parser of what a guest, a capture or a tool wrote
# (fuzz/fuzz_*.c), linked against the whole library built again with
# coverage instrumentation; UBSan reports abort, so they count as crashes.
FUZZ_CC     ?= clang-14
FUZZ_BUILD  := build/fuzz
FUZZ_SAN    := -fsanitize=address,undefined -fno-sanitize-recover=all \
               -fno-omit-frame-pointer
FUZZ_CFLAGS := -O1 -g -std=gnu11 $(WARN) $(FUZZ_SAN) -Iharness -Icases \
               $(PKG_CFLAGS) -D_GNU_SOURCE -DNICQ_SRCDIR='"$(CURDIR)"'
FUZZ_SRCS   := $(wildcard fuzz/fuzz_*.c)
FUZZ_BINS   := $(FUZZ_SRCS:fuzz/%.c=$(FUZZ_BUILD)/%)
FUZZ_OBJS   := $(LIB_SRCS:%.c=$(FUZZ_BUILD)/%.o)

$(FUZZ_BUILD)/%.o: %.c $(HEADERS)
	@mkdir -p $(dir $@)
	$(call say,FUZZCC,$<)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(FUZZ_BUILD)/libnicq.a: $(FUZZ_OBJS)
	@rm -f $@
	$(call say,AR,$@)
	$(Q)ar rcs $@ $^

$(FUZZ_BUILD)/fuzz_%: fuzz/fuzz_%.c fuzz/fuzz.h $(FUZZ_BUILD)/libnicq.a
	$(call say,FUZZLD,$@)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -Ifuzz -o $@ $< \
		$(FUZZ_BUILD)/libnicq.a $(LDLIBS)

fuzz: $(FUZZ_BINS)

# A regression run: each target replays its corpus (fuzz/corpus/<name>/)
# and mutates it for FUZZ_SECONDS (default 5) seconds.
fuzz-check: fuzz
	fuzz/run.sh check

fuzz-long: fuzz
	fuzz/run.sh long
