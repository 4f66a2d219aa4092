# nicq — qemu-kvm NIC conformance harness.
#
#   make            build ./nicq
#   make deps       install the Debian packages nicq needs (root)
#   make guest      build (or reuse) the guest image under build/guest/
#   make run        run the matrix in nicq's private lab (quick profile)
#   make check      unit tests, then integration in the private lab
#   make unit       unit tests only
#   make SANITIZE=address,undefined unit
#
# Every target that needs packages calls scripts/deps.sh --check first, which
# says what is missing and how to install it.

CC       ?= cc
PKGS     := libvirt libssh libxml-2.0 libpcap glib-2.0 json-glib-1.0
BUILD    := build
SANITIZE ?=

ifneq ($(SANITIZE),)
BUILD    := build/san
SANFLAGS := -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -g
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

.PHONY: all deps guest run check unit integration clean bench cleanup
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

tests/node_modules: tests/package.json tests/package-lock.json
	npm ci --prefix tests --no-audit --no-fund --loglevel=error
	@touch $@

integration: nicq guest tests/node_modules
	tests/integration.sh

check:
	scripts/deps.sh --install
	$(MAKE) unit
	$(MAKE) SANITIZE=address,undefined unit
	$(MAKE) tests/node_modules
	tests/tap-consumers.sh --fixtures
	$(MAKE) integration

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
