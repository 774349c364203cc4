# Build configuration: edit here or override on the command line
# (make PREFIX=/usr DESTDIR=/tmp/pkg install).  CFLAGS, CPPFLAGS and
# LDFLAGS given by the user or the environment (dpkg-buildpackage's
# hardening flags) are added to the project's own, never replace them.
VERSION   = 0.1.0
PREFIX    = /usr/local
BINDIR    = $(PREFIX)/bin
MANPREFIX = $(PREFIX)/share/man

CC         ?= cc
PKG_CONFIG ?= pkg-config
CFLAGS     ?= -O2 -g

# The project's own flags, in every configuration.
PLX_CPPFLAGS = -D_GNU_SOURCE -DPLX_VERSION=\"$(VERSION)\" -Ilib
PLX_WARN     = -std=c11 -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter

# make SAN=1: AddressSanitizer + UndefinedBehaviorSanitizer (CI runs the
# suite with it).  FLAVOUR=vg: plain -O1 -g objects for valgrind.  The
# fuzz flavour is clang with libFuzzer's instrumentation (make fuzz).
FLAVOUR ?= $(if $(filter 1,$(SAN)),san,plain)
ifeq ($(FLAVOUR),plain)
# as the package is built (dpkg's hardening flags), so that its checks
# fail here first
ifeq ($(findstring _FORTIFY_SOURCE,$(CPPFLAGS)),)
PLX_CPPFLAGS += -D_FORTIFY_SOURCE=2
endif
else ifeq ($(FLAVOUR),san)
PLX_CFLAGS  = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
PLX_LDFLAGS = -fsanitize=address,undefined
else ifeq ($(FLAVOUR),vg)
override CFLAGS = -O1 -g
else ifeq ($(FLAVOUR),fuzz)
override CC = clang
override CFLAGS = -g -O1
PLX_CFLAGS  = -fsanitize=fuzzer-no-link,address,undefined
PLX_LDFLAGS = -fsanitize=address,undefined
endif
