#!/bin/bash
# One list of dependencies: debian/control's Build-Depends (what builds the
# tools) and tests/deps (what the suite needs besides).  `make deps`
# installs both; nothing else may name a package.  Checked here:
#  - every header the sources include and every library they link comes
#    from a package in Build-Depends (or from build-essential itself);
#  - every command and Python module the tests `need` comes from a package
#    in tests/deps or Build-Depends (or one Debian always has);
#  - every package an apt-get line of the README or a man page installs is
#    in one of the two lists;
#  - after `make deps`, all of both lists is installed (dpkg-checkbuilddeps).
. "$(dirname "$0")/lib.sh"
need dpkg-checkbuilddeps
cd "$TOP" || exit 1

# Build-Depends, one name a line (no versions, no alternatives' extras)
builddeps() {
	sed -n '/^Build-Depends:/,/^[A-Z][A-Za-z-]*:/p' debian/control | sed '$d' |
		sed 's/^Build-Depends://' | tr ',' '\n' | sed 's/[(<[].*//; s/|.*//; s/^[[:space:]]*//; s/[[:space:]]*$//' | grep -v '^$'
}
testdeps() { sed 's/#.*//' tests/deps | tr -s ' \t' '\n' | grep -v '^$'; }
# debhelper-compat is debhelper's way of being named
builddeps | sed 's/^debhelper-compat$/debhelper/' | sort -u > "$T/build"
testdeps | sort -u > "$T/test"
sort -u "$T/build" "$T/test" > "$T/all"
check "Build-Depends lists libraries (read $(wc -l < "$T/build") names)" grep -qx libjson-c-dev "$T/build"
check "tests/deps lists packages (read $(wc -l < "$T/test") names)" grep -qx python3-pymodbus "$T/test"
eq "no package in both lists" "$(comm -12 "$T/build" "$T/test" | tr '\n' ' ')" ""

# The packages build-essential brings (the compiler, libc and kernel headers).
essential_build() {
	case $1 in
	libc6-dev | linux-libc-dev | libgcc-*-dev | gcc-* | libc-dev-bin | cpp-*) return 0 ;;
	esac
	return 1
}
# owner FILE: the package that ships FILE (without :arch), or nothing
owner() { dpkg -S "$(realpath -s "$1")" 2>/dev/null || dpkg -S "$(readlink -f "$1")" 2>/dev/null; }
pkgof() { owner "$1" | head -n 1 | sed 's/:.*//; s/,.*//'; }

# Headers: what the compiler really opens for every source file.
cppflags=$(env -u MAKEFLAGS make -s print-ALL_CPPFLAGS)
bad=""
for f in lib/*.c cmd/*/*.c; do
	cc -M -MG -I"$(dirname "$f")" $cppflags "$f" 2>/dev/null
done | tr ' \\' '\n\n' | grep '^/usr/' | sort -u > "$T/headers"
check "the sources' headers were found ($(wc -l < "$T/headers"))" test -s "$T/headers"
# dpkg -S once for all of them (one call each would take a minute); its
# lines are "pkg[:arch][, pkg2...]: path"
xargs -a "$T/headers" readlink -f | sort -u > "$T/real"
xargs -a "$T/real" dpkg -S 2>/dev/null |
	awk '{ i = index($0, ": "); p = substr($0, 1, i - 1); sub(/[:,].*/, "", p); print substr($0, i + 2), p }' > "$T/owners"
while read -r h; do
	p=$(awk -v h="$h" '$1 == h { print $2; exit }' "$T/owners")
	[ -n "$p" ] || { bad="$bad $h(no package)"; continue; }
	essential_build "$p" || grep -qx "$p" "$T/build" || bad="$bad $h($p)"
done < "$T/real"
eq "every header included comes from Build-Depends" "$bad" ""

# Libraries: every pkg-config module the Makefile links, by its .pc file.
bad=""
mods=$(env -u MAKEFLAGS make -s print-PKGS_ALL)
check "the Makefile names its libraries ($mods)" test -n "$mods"
for m in $mods; do
	pc=$(pkg-config --variable=pcfiledir "$m" 2>/dev/null)/$m.pc
	p=$(pkgof "$pc")
	[ -n "$p" ] || { bad="$bad $m(no package ships $m.pc)"; continue; }
	grep -qx "$p" "$T/build" || bad="$bad $m($p)"
done
eq "every library linked comes from Build-Depends" "$bad" ""

# Commands and modules the tests need.
ok_pkg() {   # from a list, or Essential/required (in every Debian root)
	grep -qx "$1" "$T/all" && return 0
	case $(dpkg-query -W -f '${Essential} ${Priority}' "$1" 2>/dev/null) in
	yes*|*required) return 0 ;;
	esac
	return 1
}
bad=""
for c in $(grep -ho '^[[:space:]]*need [a-z0-9 ._-]*' tests/*.sh | sed 's/^[[:space:]]*need //' | tr ' ' '\n' | sort -u); do
	path=$(command -v "$c") || { bad="$bad $c(not installed)"; continue; }
	p=$(pkgof "$path")
	[ -n "$p" ] && ok_pkg "$p" || bad="$bad $c(${p:-no package})"
done
eq "every command the tests need comes from tests/deps" "$bad" ""
bad=""
for m in $(grep -hoE '(need_py|want_py) [a-z0-9 ._]*' tests/*.sh | sed -E 's/^(need_py|want_py) //' | tr ' ' '\n' | sort -u); do
	f=$($PY -c "import $m; print($m.__file__)" 2>/dev/null) || { bad="$bad $m(not installed)"; continue; }
	p=$(pkgof "$f")
	[ -n "$p" ] && ok_pkg "$p" || bad="$bad $m(${p:-no package})"
done
eq "every Python module the tests need comes from tests/deps" "$bad" ""

# apt-get lines in the docs: each package they name is in a list.
bad=""
for d in README.md man/*.[1-8] cmd/*/*.[1-8]; do
	# join continued lines, then take what follows "apt-get install" / "apt install"
	sed -e ':a' -e '/\\$/N; s/\\\n//; ta' "$d" | sed 's/\\e$//; s/\\-/-/g' |
		grep -oE 'apt(-get)? +install +[^&;|`]*' | sed -E 's/apt(-get)? +install +//' |
		tr ' ' '\n' | grep -v '^-' | grep -v '\.deb$' | grep -v '^$' | sed 's/:[a-z0-9]*$//' |
		while read -r p; do
			# the toolchain's own meta packages: Debian's, not ours to list
			case $p in crossbuild-essential-*) continue ;; esac
			grep -qx "$p" "$T/all" || echo "$d:$p"
		done
done > "$T/docs"
eq "apt-get lines of README and man pages install only listed packages" "$(tr '\n' ' ' < "$T/docs")" ""

# After make deps, everything listed is installed.
out=$(dpkg-checkbuilddeps 2>&1)
eq "Build-Depends are installed (dpkg-checkbuilddeps)" "$out" ""
missing=$(while read -r p; do dpkg-query -W -f '${Status}\n' "$p" 2>/dev/null | grep -q 'ok installed' || echo "$p"; done < "$T/test")
eq "tests/deps are installed" "$(echo $missing)" ""
