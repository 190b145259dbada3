# centinela -- top-level build. Plain make + pkg-config.
#
#   make              build build/centinela and build/centinelactl
#   make run          install what is missing, build, start on the embedded config
#   make test         install what is missing, build, run every test
#   make unit         cmocka unit tests only (T=name runs one test binary)
#   make check        integration tests only (real SIPp peers)
#   make fuzz         build the libFuzzer harnesses (FUZZ_SECONDS=N runs them)
#   make bench        benchmarks against Kamailio (see docs/PERFORMANCE.md)
#   make bench-register  REGISTER with digest vs Kamailio, memory per contact
#   make bench-flood     guard: banset (5M entries) + flood vs Kamailio pike/htable
#   make bench-banset    the banset part alone
#   make bench-callerid  caller-ID decision and lookups with 2M ranges
#   make format       reformat the tree with clang-format
#   make SANITIZE=address,undefined   sanitizer build in build/san/
#   make WERROR=1     warnings are errors (CI sets this)

CC	?= cc
PKGS	:= libconfig openssl libmicrohttpd sqlite3 libpq pwquality libargon2 \
	   libmaxminddb libcares libnftables libcurl jansson gnutls
DEPS_STAMP := build/.deps-ok

ifeq ($(CI),true)
WERROR	?= 1
endif

WARN	:= -Wall -Wextra -Wformat=2 -Wstrict-prototypes -Wmissing-prototypes \
	   -Wmissing-declarations -Wshadow -Wpointer-arith -Wcast-qual \
	   -Wsign-compare -Wno-unused-parameter
ifeq ($(WERROR),1)
WARN	+= -Werror
endif

ifneq ($(SANITIZE),)
BUILD	:= build/san
SANFLAGS := -fsanitize=$(SANITIZE) -fno-sanitize-recover=all -fno-omit-frame-pointer
OPT	:= -O1
else
BUILD	:= build
SANFLAGS :=
OPT	:= -O2
endif

PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)

CFLAGS	+= -std=c17 -D_GNU_SOURCE -g $(OPT) $(WARN) $(SANFLAGS) -Isrc \
	   -include src/core/poison.h $(PKG_CFLAGS)
LDFLAGS	+= $(SANFLAGS)
LDLIBS	+= $(PKG_LIBS) -lpthread -lm

LIB_SRC	:= $(sort $(wildcard src/core/*.c src/sip/*.c src/net/*.c \
	     src/guard/*.c src/route/*.c src/admin/*.c \
	     src/auth/*.c src/store/*.c src/callerid/*.c src/fraud/*.c \
	     src/media/*.c src/prov/*.c))
LIB_OBJ	:= $(LIB_SRC:%.c=$(BUILD)/%.o) $(BUILD)/gen/default_conf.o \
	   $(BUILD)/gen/default_sigs.o $(BUILD)/gen/default_numplan.o \
	   $(BUILD)/gen/default_destinations.o
LIB	:= $(BUILD)/libcentinela.a

UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)

.PHONY: all run test unit check fuzz bench bench-register bench-flood bench-banset \
	bench-callerid bench-callerid-calls bench-fraud-calls bench-lookup-http bench-tls \
	format format-check deps clean

all: $(BUILD)/centinela $(BUILD)/centinelactl

$(DEPS_STAMP): scripts/deps.sh
	@sh scripts/deps.sh
	@mkdir -p build && touch $@

deps:
	@sh scripts/deps.sh

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/gen/default_conf.c: etc/centinela.conf scripts/embed.sh
	@mkdir -p $(dir $@)
	sh scripts/embed.sh etc/centinela.conf default_conf > $@

$(BUILD)/gen/default_sigs.c: etc/signatures.conf scripts/embed.sh
	@mkdir -p $(dir $@)
	sh scripts/embed.sh etc/signatures.conf default_sigs > $@

$(BUILD)/gen/default_numplan.c: etc/numplan.conf scripts/embed.sh
	@mkdir -p $(dir $@)
	sh scripts/embed.sh etc/numplan.conf default_numplan > $@

$(BUILD)/gen/default_destinations.c: etc/destinations.conf scripts/embed.sh
	@mkdir -p $(dir $@)
	sh scripts/embed.sh etc/destinations.conf default_destinations > $@

$(BUILD)/gen/%.o: $(BUILD)/gen/%.c
	$(CC) $(CFLAGS) -c $< -o $@

$(LIB): $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/centinela: $(BUILD)/src/main.o $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

CTL_SRC	:= $(sort $(wildcard tools/*.c))
CTL_OBJ	:= $(CTL_SRC:%.c=$(BUILD)/%.o)

$(BUILD)/centinelactl: $(CTL_OBJ) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%: tests/unit/%.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIB) $(LDLIBS) -lcmocka

run: $(DEPS_STAMP)
	@$(MAKE) --no-print-directory all
	@sh scripts/tls-selfsigned.sh build/tls
	exec ./build/centinela -f

unit: $(UNIT_BIN)
	@sh tests/run-unit.sh $(BUILD)/tests $(T)

check: all
	@sh tests/integration/run.sh $(T)

fuzz:
	@$(MAKE) --no-print-directory -f tests/fuzz/fuzz.mk

test: $(DEPS_STAMP)
	@sh tests/run-all.sh

bench: $(DEPS_STAMP) all
	@sh bench/run.sh

bench-register: $(DEPS_STAMP) all
	@sh bench/register.sh

$(BUILD)/bench/banset_bench: bench/banset_bench.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIB) $(LDLIBS)

$(BUILD)/bench/flood_gen: bench/flood_gen.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $<

$(BUILD)/bench/callerid_bench: bench/callerid_bench.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIB) $(LDLIBS)

bench-callerid: $(BUILD)/bench/callerid_bench
	$(BUILD)/bench/callerid_bench

bench-callerid-calls: $(DEPS_STAMP) all
	@sh bench/callerid-calls.sh

bench-fraud-calls: $(DEPS_STAMP) all
	@BENCH_BUILD_DIR=$${BENCH_BUILD_DIR:-$(BUILD)} sh bench/fraud-calls.sh

bench-banset: $(BUILD)/bench/banset_bench
	$(BUILD)/bench/banset_bench

bench-flood: $(DEPS_STAMP) all
	@sh bench/flood.sh

bench-lookup-http: $(DEPS_STAMP) all
	@sh bench/lookup-http.sh

$(BUILD)/bench/tls_gen: bench/tls_gen.c
	@mkdir -p $(dir $@)
	$(CC) -std=c17 -D_GNU_SOURCE -O2 $(WARN) $< -o $@ -lssl -lcrypto

$(BUILD)/bench/tls_floor: bench/tls_floor.c src/net/tls_lists.h
	@mkdir -p $(dir $@)
	$(CC) -std=c17 -D_GNU_SOURCE -O2 $(WARN) -Isrc $< -o $@ -lssl -lcrypto

bench-tls: $(DEPS_STAMP) all $(BUILD)/bench/tls_gen $(BUILD)/bench/tls_floor
	@BENCH_BUILD_DIR=$${BENCH_BUILD_DIR:-$(BUILD)} sh bench/tls.sh

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

format-check:
	@sh scripts/format-check.sh

clean:
	rm -rf build

-include $(LIB_OBJ:.o=.d) $(BUILD)/src/main.d $(CTL_OBJ:.o=.d)
