#!/bin/bash
# limit: 600
# The build knows its configuration (in a copy of the tree, so the tree's
# own build stays as it is): `make SAN=1` straight after `make` builds a
# sanitized tool in a directory of its own and ./bin follows it; a second
# make has nothing to do; `make CFLAGS=...` keeps the warnings and -Werror;
# library flags come from $(PKG_CONFIG).
. "$(dirname "$0")/lib.sh"
S=$T/src
mkdir -p "$S"
(cd "$TOP" && git ls-files -co --exclude-standard -z | xargs -0 tar -cf -) | tar -C "$S" -xf -
unset MAKEFLAGS MFLAGS MAKELEVEL SAN
m() { make -s -C "$S" "$@" 2>&1; }
tool=build/$(cc -dumpmachine)-plain/bin/plx-buffer
stool=build/$(cc -dumpmachine)-san/bin/plx-buffer

m "$tool" link-bin >"$T/plain.log"
check "make: $tool" test -x "$S/$tool"
eq "./bin links to the plain build" "$(readlink "$S/bin")" "build/$(cc -dumpmachine)-plain/bin"
check "... not sanitized" sh -c "! ldd '$S/$tool' | grep -q libasan"
out=$(m "$tool")
eq "make again: nothing to do" "$out" ""

before=$(stat -c %Y.%y "$S/$tool")
sleep 1.1          # mtimes in whole seconds on some filesystems
m CFLAGS="-O1 -g" "$tool" >/dev/null
check "other CFLAGS in the same configuration: rebuilt" test "$(stat -c %Y.%y "$S/$tool")" != "$before"
check "... with them" grep -q -- '-O1 -g' "$S/build/$(cc -dumpmachine)-plain/flags"
m "$tool" >/dev/null
check "... and back to the defaults: rebuilt again" sh -c "! grep -q -- '-O1 -g' '$S/build/$(cc -dumpmachine)-plain/flags'"

m SAN=1 "$stool" link-bin >"$T/san.log"
check "make SAN=1 straight after make: $stool" test -x "$S/$stool"
check "... sanitized" sh -c "ldd '$S/$stool' | grep -q libasan"
eq "./bin links to the sanitized build" "$(readlink "$S/bin")" "build/$(cc -dumpmachine)-san/bin"
check "... the plain one is still there, untouched" sh -c "! ldd '$S/$tool' | grep -q libasan"

cmd=$(m -n CFLAGS=-O0 "build/$(cc -dumpmachine)-plain/lib/log.o" -B)
check "make CFLAGS=-O0 adds to the warnings: -O0 -Wall ... -Werror" sh -c "echo '$cmd' | grep -q -- '-O0.*-Wall.*-Werror'"

printf '#!/bin/sh\necho -DFROM_PKG_CONFIG\n' > "$T/pc" && chmod +x "$T/pc"
eq "compiler flags come from \$(PKG_CONFIG)" "$(m print-ALL_CPPFLAGS PKG_CONFIG="$T/pc" | grep -o FROM_PKG_CONFIG)" FROM_PKG_CONFIG
