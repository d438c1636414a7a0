# nsnet — see README.md. Targets: all (default), check, check-vm, install, uninstall,
# deps, fuzz, valgrind, bench, clean.  `make check-vm` boots Debian's stock kernel
# under qemu (tests/vm/, downloads cached in $(B)/vm/) and runs tests/vm/t-*.sh inside
# it.  `make check SANITIZE=1` builds into build-san/ and runs the suite
# under ASan+UBSan; `make fuzz [FUZZ_SECONDS=30]` builds every tests/fuzz/fuzz-*.c
# with clang into build-fuzz/ and runs each on its corpus.
VERSION := 0.1.0
SOVERSION := 0
PREFIX  ?= /usr/local
DESTDIR ?=
BINDIR  ?= $(PREFIX)/bin
LIBDIR  ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
MANDIR  ?= $(PREFIX)/share/man
COMPLETIONDIR ?= $(PREFIX)/share/bash-completion/completions
CC      ?= cc
CFLAGS  ?= -O2 -g
WERROR  ?= 0
SANITIZE ?= 0

PKGS := libmnl libnftables yaml-0.1 jansson libpcap
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -lmnl -lnftables -lyaml -ljansson -lpcap)

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
ALL_CFLAGS := -std=gnu11 -D_GNU_SOURCE -DNSNET_VERSION='"$(VERSION)"' $(WARN) $(SAN) -Iinclude \
	$(PKG_CFLAGS) $(CFLAGS) -MMD -MP
# The library's objects go into both libnsnet.a and libnsnet.so: position-
# independent, and (as the version script hides every nsnet__ symbol) calls
# inside it need no interposition.
LIB_CFLAGS := -fPIC -fno-semantic-interposition
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

SONAME := libnsnet.so.$(SOVERSION)
SOLIB := libnsnet.so.$(VERSION)
EXAMPLE_SRC := $(wildcard examples/c/*.c)
EXAMPLE_BIN := $(EXAMPLE_SRC:examples/c/%.c=$(B)/examples/%)

all: $(B)/nsnet $(CNI_BIN) $(B)/$(SOLIB) $(UNIT_BIN) $(NETNS_BIN) $(BENCH_BIN) $(EXAMPLE_BIN)

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(B)/lib/%.o: lib/%.c Makefile
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LIB_CFLAGS) -c -o $@ $<

$(B)/libnsnet.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

# Shared library: soname libnsnet.so.0, only the public nsnet_* API exported
# (lib/libnsnet.map). The nsnet and nsnet-cni programs link the static archive.
$(B)/$(SOLIB): $(LIB_OBJ) lib/libnsnet.map
	$(CC) $(ALL_LDFLAGS) -shared -Wl,-soname,$(SONAME) -Wl,--version-script=lib/libnsnet.map \
		-Wl,-z,defs -o $@ $(LIB_OBJ) $(LIBS)
	ln -sf $(SOLIB) $(B)/$(SONAME)
	ln -sf $(SONAME) $(B)/libnsnet.so

# Examples link the shared library of the build tree (tests/netns/t-install.sh
# builds them again against an installed copy).
$(B)/examples/%: examples/c/%.c $(B)/$(SOLIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< -L$(B) -lnsnet -Wl,-rpath,'$$ORIGIN/..'

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

# the DEL floor: libc only (its process start is the cheapest there is)
$(B)/bench/cni-del-floor: bench/cni-del-floor.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $<

$(B)/bench/%: $(B)/bench/%.o $(B)/libnsnet.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(B)/libnsnet.a $(LIBS)

check: all
	@B=$(B) NSNET_SANITIZE=$(SANITIZE) tests/run.sh

check-vm: all
	@B=$(B) tests/vm/run.sh

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

# include/nsnet/ holds the public headers only (internal ones are lib/*-int.h).
PUBLIC_HDRS := $(wildcard include/nsnet/*.h)

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(MANDIR)/man5 \
		$(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(INCLUDEDIR)/nsnet $(DESTDIR)$(COMPLETIONDIR)
	install -m 0755 $(B)/nsnet $(DESTDIR)$(BINDIR)/nsnet
	$(if $(CNI_BIN),install -m 0755 $(CNI_BIN) $(DESTDIR)$(BINDIR)/nsnet-cni)
	install -m 0644 man/*.8 $(DESTDIR)$(MANDIR)/man8/
	$(if $(wildcard man/*.5),install -m 0644 man/*.5 $(DESTDIR)$(MANDIR)/man5/)
	install -m 0755 $(B)/$(SOLIB) $(DESTDIR)$(LIBDIR)/$(SOLIB)
	ln -sf $(SOLIB) $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(LIBDIR)/libnsnet.so
	install -m 0644 $(B)/libnsnet.a $(DESTDIR)$(LIBDIR)/libnsnet.a
	install -m 0644 $(PUBLIC_HDRS) $(DESTDIR)$(INCLUDEDIR)/nsnet/
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' \
	    -e 's|@VERSION@|$(VERSION)|' -e 's|@REQUIRES@|$(PKGS)|' lib/nsnet.pc.in \
	    > $(DESTDIR)$(LIBDIR)/pkgconfig/nsnet.pc
	install -m 0644 completion/nsnet.bash $(DESTDIR)$(COMPLETIONDIR)/nsnet
	$(if $(DESTDIR),,-ldconfig)

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/nsnet $(DESTDIR)$(BINDIR)/nsnet-cni \
	      $(addprefix $(DESTDIR)$(MANDIR)/man8/,$(notdir $(wildcard man/*.8))) \
	      $(addprefix $(DESTDIR)$(MANDIR)/man5/,$(notdir $(wildcard man/*.5))) \
	      $(DESTDIR)$(LIBDIR)/$(SOLIB) $(DESTDIR)$(LIBDIR)/$(SONAME) \
	      $(DESTDIR)$(LIBDIR)/libnsnet.so $(DESTDIR)$(LIBDIR)/libnsnet.a \
	      $(DESTDIR)$(LIBDIR)/pkgconfig/nsnet.pc $(DESTDIR)$(COMPLETIONDIR)/nsnet
	rm -rf $(DESTDIR)$(INCLUDEDIR)/nsnet
	$(if $(DESTDIR),,-ldconfig)

clean:
	rm -rf $(B)

.PHONY: all check check-vm deps install uninstall clean fuzz fuzz-build valgrind
-include $(shell find $(B) $(if $(filter fuzz%,$(MAKECMDGOALS)),$(FB)) -name '*.d' 2>/dev/null)
