# Sourced by the run scripts of the plexus-* s6 services as "$top/plexus.sh",
# where top is the directory holding the service directories: keep this
# file beside them.
#
# Each pipe is one of s6-svscan's service/log pairs: s6-svscan creates the
# pipe between a service and its log/ subservice once and holds both ends,
# so either side can be restarted (s6-svc -r) while the other runs on, and
# what sits in the pipe waits for the new process.  (Debian 12's s6 2.11
# joins only such pairs; producer-for/consumer-for chains are s6 2.12.)
# The stages are joined through the spool, as under systemd:
#
#   plexus-READER:  READER ==pipe==> log: plx-buffer -a   (appends)
#   plexus-upload:  plx-buffer -f ==pipe==> log: plx-upload   (drains)
#
# plexus-upload/log/finish restarts the drainer whenever plx-upload ends,
# so that the rows it had read but not delivered are replayed at once.
# Standard output carries only records; every stage's stderr goes into the
# fifo of the plexus-log service, where s6-log timestamps and rotates it.
#
# Paths and the user can be changed in s6-svscan's environment (tests do).
: "${PLEXUS_ETC:=/etc/plexus}" "${PLEXUS_STATE:=/var/lib/plexus}"
: "${PLEXUS_RUN:=/run/plexus}" "${PLEXUS_LOG:=/var/log/plexus}"
: "${PLEXUS_USER=plexus}"
: "${PLEXUS_BUFFER:=$PLEXUS_STATE/spool.db}"
export PLEXUS_BUFFER

# plexus_log: stderr into plexus-log's fifo (once the logger has made it)
plexus_log() {
	[ -p "$top/plexus-log/fifo" ] || { echo "$0: no $top/plexus-log/fifo yet" >&2; sleep 1; exit 1; }
	exec 2>"$top/plexus-log/fifo"
}

# give PATH...: PATHs belong to $PLEXUS_USER, when we are root and one is set
give() {
	[ -z "$PLEXUS_USER" ] || [ "$(id -u)" != 0 ] || chown "$PLEXUS_USER:" "$@"
}
# owned DIR: DIR exists, and is given to $PLEXUS_USER
owned() { mkdir -p "$1" && give "$1"; }

# as_user CMD...: exec CMD as $PLEXUS_USER (when root and one is set)
as_user() {
	if [ -n "$PLEXUS_USER" ] && [ "$(id -u)" = 0 ]; then
		exec s6-setuidgid "$PLEXUS_USER" "$@"
	fi
	exec "$@"
}
