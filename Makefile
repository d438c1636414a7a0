# nsnet — see README.md. Targets: all (default), check, install, deps, fuzz, bench, clean.
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

B ?= build
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
	@tests/run.sh

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

.PHONY: all check deps install clean
-include $(shell find $(B) -name '*.d' 2>/dev/null)
