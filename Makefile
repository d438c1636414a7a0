# nsnet — see README.md. Targets: all (default), check, install, deps, fuzz, valgrind,
# bench, clean.  `make check SANITIZE=1` builds into build-san/ and runs the suite
# under ASan+UBSan; `make fuzz [FUZZ_SECONDS=30]` builds every tests/fuzz/fuzz-*.c
# with clang into build-fuzz/ and runs each on its corpus.
PREFIX  ?= /usr/local
DESTDIR ?=
BINDIR  ?= $(PREFIX)/bin
MANDIR  ?= $(PREFIX)/share/man
CC      ?= cc
CFLAGS  ?= -O2 -g
WERROR  ?= 0
SANITIZE ?= 0

PKGS := libmnl libnftables yaml-0.1 jansson
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -lmnl -lnftables -lyaml -ljansson)

WARN := -Wall -Wextra -Wshadow -Wmissing-prototypes -Wno-unused-parameter
ifeq ($(WERROR),1)
WARN += -Werror
endif
SAN :=
ifeq ($(SANITIZE),1)
SAN := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
endif

ifeq ($(SANITIZE),1)
B ?= build-san
else
B ?= build
endif
ALL_CFLAGS := -std=gnu11 -D_GNU_SOURCE $(WARN) $(SAN) -Iinclude $(PKG_CFLAGS) $(CFLAGS) -MMD -MP
ALL_LDFLAGS := $(SAN) $(LDFLAGS)
LIBS := $(PKG_LIBS) -lpthread

LIB_SRC := $(wildcard lib/*.c)
CLI_SRC := $(wildcard cli/*.c)
UNIT_SRC := $(wildcard tests/unit/test-*.c)
LIB_OBJ := $(LIB_SRC:%.c=$(B)/%.o)
CLI_OBJ := $(CLI_SRC:%.c=$(B)/%.o)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(B)/tests/%)
CNI_SRC := $(wildcard cni/*.c)
CNI_BIN := $(if $(CNI_SRC),$(B)/nsnet-cni)
NETNS_SRC := $(wildcard tests/netns/*.c)
NETNS_BIN := $(NETNS_SRC:tests/netns/%.c=$(B)/tests/netns-%)
BENCH_SRC := $(wildcard bench/*.c)
BENCH_BIN := $(BENCH_SRC:bench/%.c=$(B)/bench/%)

all: $(B)/nsnet $(CNI_BIN) $(UNIT_BIN) $(NETNS_BIN) $(BENCH_BIN)

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(B)/libnsnet.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(B)/nsnet: $(CLI_OBJ) $(B)/libnsnet.a
	$(CC) $(ALL_LDFLAGS) -o $@ $(CLI_OBJ) $(B)/libnsnet.a $(LIBS)

$(B)/nsnet-cni: $(CNI_SRC:%.c=$(B)/%.o) $(B)/libnsnet.a
	$(CC) $(ALL_LDFLAGS) -o $@ $(filter %.o,$^) $(B)/libnsnet.a $(LIBS)

$(B)/tests/%: $(B)/tests/unit/%.o $(B)/libnsnet.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(B)/libnsnet.a $(LIBS)

$(B)/tests/netns-%: $(B)/tests/netns/%.o $(B)/libnsnet.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(B)/libnsnet.a $(LIBS)

$(B)/bench/%: $(B)/bench/%.o $(B)/libnsnet.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(B)/libnsnet.a $(LIBS)

check: all
	@B=$(B) NSNET_SANITIZE=$(SANITIZE) tests/run.sh

# ---- fuzzing: libFuzzer harnesses, lib compiled with clang into $(FB) ----------
FB ?= build-fuzz
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 30
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
FUZZ_CFLAGS := -std=gnu11 -D_GNU_SOURCE $(WARN) -Iinclude $(PKG_CFLAGS) -g -O1 $(FUZZ_SAN) -MMD -MP
FUZZ_SRC := $(wildcard tests/fuzz/fuzz-*.c)
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=$(FB)/%)
FUZZ_LIB_OBJ := $(LIB_SRC:%.c=$(FB)/%.o)

$(FB)/lib/%.o: lib/%.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(FB)/libnsnet.a: $(FUZZ_LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(FB)/fuzz-%: tests/fuzz/fuzz-%.c $(FB)/libnsnet.a
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(FB)/libnsnet.a $(LIBS)

fuzz-build: $(FUZZ_BIN)

fuzz: fuzz-build
	@tests/fuzz/run.sh $(FB) $(FUZZ_SECONDS)

# ---- valgrind: unit tests and the seed lab under memcheck, in a sandbox ------
valgrind: all
	@B=$(B) tests/valgrind.sh

deps:
	@scripts/install-deps.sh

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(MANDIR)/man5
	install -m 0755 $(B)/nsnet $(DESTDIR)$(BINDIR)/nsnet
	$(if $(CNI_BIN),install -m 0755 $(CNI_BIN) $(DESTDIR)$(BINDIR)/nsnet-cni)
	install -m 0644 man/*.8 $(DESTDIR)$(MANDIR)/man8/
	$(if $(wildcard man/*.5),install -m 0644 man/*.5 $(DESTDIR)$(MANDIR)/man5/)

clean:
	rm -rf $(B)

.PHONY: all check deps install clean fuzz fuzz-build valgrind
-include $(shell find $(B) $(if $(filter fuzz%,$(MAKECMDGOALS)),$(FB)) -name '*.d' 2>/dev/null)
