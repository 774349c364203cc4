#!/bin/bash
# The Debian package, built from a copy of the tree (the tree stays clean):
# dpkg -i puts binaries, man pages, units, s6 directories, examples, the
# plexus user and its directories in place; an upgrade to the next version
# keeps the key and the spool; dpkg -r keeps them; dpkg -P leaves nothing.
# Needs root and dpkg-buildpackage (and installs into this system): skipped
# otherwise, or when plexus-gateway is installed already.
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || skip "t-deb needs root"
need dpkg-buildpackage dh
! dpkg-query -W -f '${Status}' plexus-gateway 2>/dev/null | grep -q installed ||
	skip "plexus-gateway is installed on this machine already"
PKGFILES=$T/files
trap 'dpkg -P plexus-gateway >/dev/null 2>&1; _cleanup' EXIT

# a copy of the tracked and new files, without build products
mkdir -p "$T/b/src"
(cd "$TOP" && git ls-files -co --exclude-standard -z 2>/dev/null | xargs -0 tar -cf - 2>/dev/null) |
	tar -C "$T/b/src" -xf -
[ -f "$T/b/src/debian/control" ] || { cp -a "$TOP/." "$T/b/src" && make -C "$T/b/src" clean >/dev/null; }
# under `make SAN=1 check`, MAKEFLAGS and the environment would carry SAN=1
# into the package build
unset MAKEFLAGS MFLAGS MAKELEVEL SAN   # make exports command-line variables too
build() {
	(cd "$T/b/src" && dpkg-buildpackage -us -uc -b "$@") >>"$T/build.log" 2>&1 ||
		{ nok "dpkg-buildpackage $*"; tail -20 "$T/build.log"; exit 1; }
}
build
ver=$(cd "$T/b/src" && dpkg-parsechangelog -S Version)
deb=$T/b/plexus-gateway_${ver}_$(dpkg --print-architecture).deb
check "dpkg-buildpackage -us -uc -b builds $deb" test -f "$deb"
eq "the package's version is config.mk's VERSION" "$ver" "$(sed -n 's/^VERSION *= *//p' "$TOP/config.mk")"
# the next version, from the same build tree (-nc: no clean, nothing to compile)
sed -i "1i plexus-gateway ($ver+1) unstable; urgency=medium\n\n  * t-deb: the next version.\n\n -- t-deb <t-deb@localhost>  $(date -R)\n" "$T/b/src/debian/changelog"
build -nc
deb2=$T/b/plexus-gateway_${ver}+1_$(dpkg --print-architecture).deb
check "the next version builds too" test -f "$deb2"

dpkg -i "$deb" >"$T/i.log" 2>&1
eq "dpkg -i" $? 0
check "the package was built without sanitizers" sh -c "! grep -q fsanitize '$T/build.log'"
for t in plx-buffer plx-upload modbus-read serial-read can-read ble-read mqtt-read plexus-gateway plx-tail modbus-write can-send serial-write; do
	check "/usr/bin/$t --version" sh -c "/usr/bin/$t --version | grep -q '$ver'"
	check "man $t" test -f "/usr/share/man/man1/$t.1.gz"
	check "plexus-$t units or s6 directory" sh -c "[ $t = plx-buffer ] || [ $t = plx-upload ] || [ $t = plexus-gateway ] || [ $t = plx-tail ] ||
		[ $t = modbus-write ] || [ $t = can-send ] || [ $t = serial-write ] ||
		{ [ -f /lib/systemd/system/plexus-$t@.service ] && [ -x /usr/share/plexus-gateway/s6/plexus-$t/run ]; }"
done
# the tools start as the plexus user and say what is wrong with no device
for t in modbus-read serial-read can-read mqtt-read modbus-write can-send; do
	setpriv --reuid=plexus --regid=plexus --init-groups /usr/bin/$t >/dev/null 2>"$T/$t.err"
	eq "/usr/bin/$t without arguments: a usage error" "$?" 64
done
DBUS_SYSTEM_BUS_ADDRESS=unix:path=$T/none setpriv --reuid=plexus --regid=plexus --init-groups \
	/usr/bin/ble-read >/dev/null 2>"$T/ble.err"
eq "/usr/bin/ble-read without a system bus: unavailable (69)" "$?" 69
check "man pages (1, 5, 7)" test -f /usr/share/man/man1/plx-upload.1.gz -a \
	-f /usr/share/man/man5/modbus-read.conf.5.gz -a -f /usr/share/man/man7/plexus-gateway.7.gz
check "systemd units, USB serial drivers at boot" test -f /lib/systemd/system/plexus-upload.service -a -f /usr/lib/modules-load.d/plexus-gateway.conf -a \
	-f /lib/systemd/system/plexus-serial-read@.service -a -f /lib/systemd/system/plexus-retry@.service
check "s6 service directories" test -x /usr/share/plexus-gateway/s6/plexus-upload/log/run -a -x /usr/share/plexus-gateway/s6/plexus-upload/log/finish -a -x /usr/share/plexus-gateway/s6/plexus-serial-read/log/run -a \
	-f /usr/share/plexus-gateway/s6/plexus.sh
check "examples" test -f /usr/share/doc/plexus-gateway/examples/plexus-modbus -a \
	-f /usr/share/doc/plexus-gateway/examples/upload.env -a \
	-f /usr/share/doc/plexus-gateway/examples/80-can.network
# plx-command: its files, and libwebsockets' libuv plugin (a Depends:
# dlopen'd, not found by shlibs) loads as the plexus user
check "plx-command, its pages, unit, s6 directory and example commands" test -x /usr/bin/plx-command -a \
	-f /usr/share/man/man1/plx-command.1.gz -a -f /usr/share/man/man5/plx-command.conf.5.gz -a \
	-f /lib/systemd/system/plexus-command.service -a -x /usr/share/plexus-gateway/s6/plexus-command/run -a \
	-x /usr/share/doc/plexus-gateway/examples/commands/save_setting -a \
	-f /usr/share/doc/plexus-gateway/examples/commands/save_setting.json -a \
	-x /usr/share/doc/plexus-gateway/examples/commands/set_setpoint -a \
	-x /usr/share/doc/plexus-gateway/examples/commands/send_can_message
check "serial-write, its page, the example command that uses it" test -x /usr/bin/serial-write -a \
	-f /usr/share/man/man1/serial-write.1.gz -a -x /usr/share/doc/plexus-gateway/examples/commands/send_mcu
setpriv --reuid=plexus --regid=plexus --init-groups /usr/bin/serial-write /run/plexus/serial-read/none.sock x 2>/dev/null
eq "/usr/bin/serial-write as plexus, no serial-read there: unavailable (69)" "$?" 69
eq "/etc/plexus/commands: root's, nobody else writes" "$(stat -c '%U:%G %a' /etc/plexus/commands)" "root:root 755"
check "plx-command --check takes the example commands" sh -c "/usr/bin/plx-command --check -C /usr/share/doc/plexus-gateway/examples/commands >/dev/null"
PLEXUS_API_KEY=plx_x timeout -s TERM 3 setpriv --reuid=plexus --regid=plexus --init-groups env HOME=/var/lib/plexus \
	/usr/bin/plx-command -C /usr/share/doc/plexus-gateway/examples/commands -u ws://127.0.0.1:9 >/dev/null 2>"$T/cmd.err"
check "plx-command runs as plexus on libwebsockets' libuv loop (tries to connect)" grep -q 'unable to connect' "$T/cmd.err"
check "system user plexus, no login" sh -c 'getent passwd plexus | grep -q ":/var/lib/plexus:/usr/sbin/nologin$"'
uid=$(id -u plexus)
check "plexus is a system user (uid $uid < 1000)" test "$uid" -lt 1000
check "plexus is in group dialout" sh -c 'id -nG plexus | grep -qw dialout'
eq "/etc/plexus" "$(stat -c '%U:%G %a' /etc/plexus)" "root:plexus 750"
eq "/var/lib/plexus" "$(stat -c '%U:%G %a' /var/lib/plexus)" "plexus:plexus 750"

# what an admin and the gateway leave: a key and a spool with a record
printf 'plx_t-deb\n' > /etc/plexus/api-key && chmod 600 /etc/plexus/api-key
depth() { /usr/bin/plx-buffer -d /var/lib/plexus/spool.db --status | awk '$1 == "depth" { print $2 }'; }
gen 3 | setpriv --reuid=plexus --regid=plexus --init-groups env HOME=/var/lib/plexus \
	/usr/bin/plx-buffer -a -d /var/lib/plexus/spool.db
eq "the plexus user writes the spool" "$(depth)" 3

dpkg -i "$deb2" >"$T/u.log" 2>&1
eq "upgrade: dpkg -i of $ver+1 over $ver" $? 0
eq "upgrade: the version" "$(dpkg-query -W -f '${Version}' plexus-gateway)" "$ver+1"
check "upgrade keeps the key" test -f /etc/plexus/api-key
eq "upgrade keeps the spool" "$(depth)" 3
eq "upgrade keeps the user" "$(id -u plexus)" "$uid"

dpkg -L plexus-gateway > "$PKGFILES"
# (an empty list would make "none of the package's files is left" pass)
check "dpkg -L lists the package's files" grep -qx /usr/bin/plx-buffer "$PKGFILES"
dpkg -r plexus-gateway >"$T/r.log" 2>&1
eq "dpkg -r" $? 0
check "remove: binaries gone" test ! -e /usr/bin/plx-buffer -a ! -e /lib/systemd/system/plexus-upload.service
check "remove keeps the key and the spool" test -f /etc/plexus/api-key -a -f /var/lib/plexus/spool.db

dpkg -P plexus-gateway >"$T/p.log" 2>&1
eq "dpkg -P" $? 0
left=$(while read -r f; do [ -e "$f" ] && [ ! -d "$f" ] && echo "$f"; done < "$PKGFILES")
eq "purge: none of the package's files is left" "$left" ""
check "purge: /etc/plexus and /var/lib/plexus are gone" test ! -e /etc/plexus -a ! -e /var/lib/plexus
check "purge: the user and group are gone" sh -c '! getent passwd plexus && ! getent group plexus'
eq "purge: dpkg knows nothing of it" "$(dpkg-query -W -f '${Status}' plexus-gateway 2>/dev/null)" ""
# (the arm64 cross build has a fresh root of its own in CI: .ci/package arm64)
