#!/bin/bash
# systemd-exec.sh UNIT INSTANCE ROOT: runs UNIT's ExecStart= the way systemd
# would, without systemd: for tests on machines (containers, CI) where
# systemd is not PID 1.  Sourced by nothing; exec's the command, so run it
# under setsid and stop it as systemd does, SIGTERM to the process group.
# systemd-exec.sh --reload UNIT MAINPID: runs UNIT's ExecReload= lines as
# `systemctl reload` would, ${MAINPID} the pid of the setsid above (a unit
# without one: exit 1, as systemctl's "Job type reload is not applicable").
#
# What it gives the command, from the unit's own lines:
#   %i -> INSTANCE, %S -> ROOT/state, /etc/plexus -> ROOT/etc, $$ -> $
#   Environment=, EnvironmentFile= (shell syntax, "-" = optional)
#   StateDirectory=plexus -> STATE_DIRECTORY=ROOT/state/plexus (created)
#   RuntimeDirectory=D    -> ROOT/run/D, made with RuntimeDirectoryMode=
#                            (RUNTIME_DIRECTORY)
#   LoadCredential=ID:PATH -> a copy of PATH as ROOT/creds/ID, mode 0400,
#                             CREDENTIALS_DIRECTORY=ROOT/creds
#   a clean environment: PATH, HOME=ROOT/home, LANG=C, and no PLEXUS_*
#   variable of the caller's.
#   ExecStartPre= lines run before, in order; the first that fails ends it
#   with its status.
set -eu
if [ "$1" = --reload ]; then
	MAINPID=$3 n=0
	while read -r cmd; do
		[ -n "$cmd" ] || continue
		eval "$cmd" || exit
		n=$((n + 1))
	done <<< "$(sed -n 's/^ExecReload=//p' "$2" | sed 's|\$\$|$|g')"
	[ "$n" -gt 0 ] || { echo "systemd-exec: $2 has no ExecReload=: reload is not applicable" >&2; exit 1; }
	exit 0
fi
unit=$1 inst=$2 root=$3
sub() { sed -e "s|%S|$root/state|g" -e "s|%i|$inst|g" -e "s|/etc/plexus|$root/etc|g" -e 's|\$\$|$|g'; }
get() { sed -n "s/^$1=//p" "$unit" | sub; }

for v in $(env | sed -n 's/^\(PLEXUS_[A-Z_]*\)=.*/\1/p'); do unset "$v"; done
export HOME=$root/home LANG=C
mkdir -p "$HOME"
for d in $(get StateDirectory); do mkdir -p "$root/state/$d"; export STATE_DIRECTORY=$root/state/$d; done
for d in $(get RuntimeDirectory); do
	mkdir -p "$root/run/$d" && chmod "$(get RuntimeDirectoryMode | grep . || echo 0755)" "$root/run/$d"
	export RUNTIME_DIRECTORY=$root/run/$d
done
for c in $(get LoadCredential); do
	mkdir -p "$root/creds" && chmod 700 "$root/creds"
	install -m 0400 "${c#*:}" "$root/creds/${c%%:*}"
	export CREDENTIALS_DIRECTORY=$root/creds
done
while read -r f; do
	[ -n "$f" ] || continue
	case $f in -*) f=${f#-}; [ -f "$f" ] || continue ;; esac
	set -a; . "$f"; set +a
done <<< "$(get EnvironmentFile)"
while read -r e; do [ -z "$e" ] || export "${e?}"; done <<< "$(get Environment)"
# ExecStartPre= first, as systemd runs them: one that fails fails the unit
while read -r pre; do
	[ -z "$pre" ] || (eval "$pre") || exit
done <<< "$(get ExecStartPre)"
cmd=$(get ExecStart)
[ "$(printf '%s\n' "$cmd" | wc -l)" = 1 ] || { echo "systemd-exec: one ExecStart= expected in $unit" >&2; exit 64; }
eval "exec $cmd"
