# taphop - build, test, demo and benchmark.
#
#   make              build bin/taphop, bin/taphopd and the tests
#   make check        install missing Debian packages, build with -Werror,
#                     run the unit tests (cmocka) and end-to-end tests (prove)
#   make check SANITIZE=address,undefined   the same under sanitizers
#   make demo         a hub and wards on loopback with sample data, syncing
#   make demo-bundle  the same data carried by bundle files (no network)
#   make bench        benchmarks, as ratios against raw SQLite
#   make soak | fuzz  the long runs, kept out of make check

SANITIZE ?=
WERROR   ?=
ifeq ($(SANITIZE),)
  B := build
else
  B := build-san
endif

CC       ?= cc
PKGS     := sqlite3 libzmq libprotobuf-c libgit2 libsodium jansson inih zlib libcrypto
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lcsv -lpthread -lm

WARN     := -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes \
            -Wmissing-prototypes -Wvla -Wformat=2 -fno-common
CFLAGS   ?= -O2 -g
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE $(CFLAGS) $(WARN) $(if $(WERROR),-Werror) \
             -I. -I$(B) $(PKG_CFLAGS)
LDFLAGS  ?=
ifneq ($(SANITIZE),)
  ALL_CFLAGS += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
  LDFLAGS    += -fsanitize=$(SANITIZE)
endif

PROTOS    := $(wildcard proto/*.proto)
PROTO_C   := $(PROTOS:%.proto=$(B)/%.pb-c.c)
PROTO_H   := $(PROTOS:%.proto=$(B)/%.pb-c.h)
LIB_SRC   := $(wildcard proto/*.c replicas/*.c)
LIB_OBJ   := $(LIB_SRC:%.c=$(B)/%.o) $(PROTO_C:%.c=%.o)
CLI_OBJ   := $(patsubst %.c,$(B)/%.o,$(wildcard cli/*.c))
DAEMON_SRC:= $(wildcard daemon/*.c)
DAEMON_LIB_OBJ := $(patsubst %.c,$(B)/%.o,$(filter-out daemon/main.c,$(DAEMON_SRC)))
UNIT_SRC  := $(wildcard tests/unit/test_*.c)
UNIT_BIN  := $(UNIT_SRC:tests/unit/%.c=$(B)/tests/%)
TESTLIB_OBJ := $(patsubst %.c,$(B)/%.o,$(wildcard tests/lib/*.c))
BENCH_SRC := $(wildcard tests/bench/*.c)
BENCH_BIN := $(BENCH_SRC:tests/bench/%.c=$(B)/bench/%)
FUZZ_SRC  := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BIN  := $(FUZZ_SRC:tests/fuzz/%.c=$(B)/fuzz/%)

LIB       := $(B)/libtaphop.a
DLIB      := $(B)/libtaphopd.a
BINDIR    := $(if $(SANITIZE),$(B)/bin,bin)

.PHONY: all check unit e2e demo demo-bundle bench soak fuzz deps clean format
.SECONDARY:

all: $(BINDIR)/taphop $(BINDIR)/taphopd $(UNIT_BIN) $(BENCH_BIN) $(FUZZ_BIN)

deps:
	@sh scripts/install-deps.sh

$(B)/%.pb-c.c $(B)/%.pb-c.h: %.proto
	@mkdir -p $(dir $@)
	protoc-c --c_out=$(B) $<

$(B)/%.pb-c.o: $(B)/%.pb-c.c
	$(CC) -std=c11 -D_GNU_SOURCE $(CFLAGS) -I. -I$(B) $(PKG_CFLAGS) \
		$(if $(SANITIZE),-fsanitize=$(SANITIZE) -fno-omit-frame-pointer) -c -o $@ $<

$(B)/%.o: %.c $(PROTO_H)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(LIB): $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(DLIB): $(DAEMON_LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^ $(if $^,,$(B)/replicas/err.o)

$(BINDIR)/taphop: $(CLI_OBJ) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $(CLI_OBJ) $(LIB) $(PKG_LIBS)

$(BINDIR)/taphopd: $(B)/daemon/main.o $(DLIB) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(B)/tests/%: tests/unit/%.c $(TESTLIB_OBJ) $(DLIB) $(LIB) $(PROTO_H)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< $(TESTLIB_OBJ) $(DLIB) $(LIB) $(PKG_LIBS) -lcmocka

$(B)/bench/%: tests/bench/%.c $(TESTLIB_OBJ) $(DLIB) $(LIB) $(PROTO_H)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< $(TESTLIB_OBJ) $(DLIB) $(LIB) $(PKG_LIBS)

$(B)/fuzz/%: tests/fuzz/%.c tests/fuzz/driver.c $(DLIB) $(LIB) $(PROTO_H)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< tests/fuzz/driver.c $(DLIB) $(LIB) $(PKG_LIBS)

# The test suite.  Every test binary and script must pass.
check: deps
	@$(MAKE) --no-print-directory WERROR=1 all
	@$(MAKE) --no-print-directory unit e2e

unit: $(UNIT_BIN)
	@fail=0; for t in $(UNIT_BIN); do \
		echo "== $$t"; $$t || fail=1; \
	done; \
	if [ $$fail -ne 0 ]; then echo "unit tests FAILED"; exit 1; fi

e2e: $(BINDIR)/taphop $(BINDIR)/taphopd
	TAPHOP_BIN=$(abspath $(BINDIR)) TAPHOP_FUZZ=$(abspath $(B)/fuzz) \
		prove -v --timer tests/e2e/

demo: deps
	@$(MAKE) --no-print-directory $(BINDIR)/taphop $(BINDIR)/taphopd
	@sh tests/demo.sh $(abspath $(BINDIR))

demo-bundle: deps
	@$(MAKE) --no-print-directory $(BINDIR)/taphop
	@sh tests/demo-bundle.sh $(abspath $(BINDIR))

bench: deps
	@$(MAKE) --no-print-directory all
	@sh tests/bench/run.sh $(abspath $(B)/bench) $(abspath $(BINDIR))

soak: all
	TAPHOP_BIN=$(abspath $(BINDIR)) TAPHOP_SOAK=1 prove -v --timer tests/e2e/

fuzz: all
	@sh tests/fuzz/run.sh $(abspath $(B)/fuzz) 300 $(abspath $(BINDIR))

format:
	clang-format -i $(wildcard */*.c */*.h tests/*/*.c)

clean:
	rm -rf build build-san bin

-include $(shell find $(B) -name '*.d' 2>/dev/null)
