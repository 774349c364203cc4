# Sourced by the run scripts of the plexus-* s6 services, whose working
# directory is their service directory: keep this file beside them.
#
# The pipeline (s6-svscan >= 2.11 producer-for / consumer-for files):
#
#   plexus-READER --pipe--> plexus-buffer --pipe--> plexus-upload
#        \_______________________\______________________\__stderr__> plexus-log (s6-log)
#
# s6-svscan creates each pipe once and holds both of its ends, so any stage
# can be restarted (s6-svc -r) while the others run on: the pipe never
# breaks, and what sits in it waits for the new process.  Every stage's
# stderr goes into the fifo of plexus-log, where s6-log timestamps and
# rotates it; standard output carries only records.
#
# Paths and the user can be changed in s6-svscan's environment (tests do).
: "${PLEXUS_ETC:=/etc/plexus}" "${PLEXUS_STATE:=/var/lib/plexus}"
: "${PLEXUS_RUN:=/run/plexus}" "${PLEXUS_LOG:=/var/log/plexus}"
: "${PLEXUS_USER=plexus}"
: "${PLEXUS_BUFFER:=$PLEXUS_STATE/spool.db}"
export PLEXUS_BUFFER

# plexus_log: stderr into plexus-log's fifo (waits until the logger made it)
plexus_log() {
	[ -p ../plexus-log/fifo ] || { echo "${PWD##*/}: no ../plexus-log/fifo yet" >&2; sleep 1; exit 1; }
	exec 2>../plexus-log/fifo
}

# as_user CMD...: exec CMD as $PLEXUS_USER (when root and one is set)
as_user() {
	if [ -n "$PLEXUS_USER" ] && [ "$(id -u)" = 0 ]; then
		exec s6-setuidgid "$PLEXUS_USER" "$@"
	fi
	exec "$@"
}
