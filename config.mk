# Build configuration: edit here or override on the command line
# (make PREFIX=/usr DESTDIR=/tmp/pkg install).
VERSION   = 0.1.0
PREFIX    = /usr/local
BINDIR    = $(PREFIX)/bin
MANPREFIX = $(PREFIX)/share/man

CC       ?= cc
CPPFLAGS += -D_GNU_SOURCE -DPLX_VERSION=\"$(VERSION)\" -Ilib
CFLAGS   ?= -O2 -g
CFLAGS   += -std=c11 -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter

# make SAN=1: AddressSanitizer + UndefinedBehaviorSanitizer build (CI runs the tests with it).
ifeq ($(SAN),1)
CFLAGS  += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
endif
