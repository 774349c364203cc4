# Shared by the serial-read scenarios (sourced after lib.sh): pseudo-terminal
# pairs made by socat stand in for a UART and the device behind it.
need socat

# pty_up NAME: a pty pair, $T/NAME.dev (the port serial-read opens) and
# $T/NAME.host (where the test writes what the device prints); the socat
# pid in SOCAT_NAME.  Called again after pty_down, the same names return.
pty_up() {
	rm -f "$T/$1.dev" "$T/$1.host"
	socat pty,raw,echo=0,link="$T/$1.dev" pty,raw,echo=0,link="$T/$1.host" 2>>"$T/$1.socat.log" &
	_pids="$_pids $!"
	eval "SOCAT_$1=$!"
	wait_for 5 test -e "$T/$1.dev" -a -e "$T/$1.host" || { nok "socat pty pair $1"; exit 1; }
}
# pty_down NAME: the device disappears (its pty pair is gone)
pty_down() { eval "kill \$SOCAT_$1; wait \$SOCAT_$1 2>/dev/null"; }
# reader NAME ARGS...: serial-read on $T/NAME.dev in the background (at most
# 60 s), stdout in $T/NAME.out, stderr in $T/NAME.err, pid in READER_NAME.
# timeout --foreground: a plain timeout follows each signal it forwards with
# a SIGCONT to the group, which cancels the SIGSTOP of LeakSanitizer's exit
# check in a SAN=1 build, and the process hangs.
reader() {
	n=$1; shift
	timeout --foreground -k 5 60 serial-read "$@" "$T/$n.dev" >"$T/$n.out" 2>"$T/$n.err" &
	_pids="$_pids $!"
	eval "READER_$n=$!"
	sleep 0.3
}
# has FILE METRIC VALUE: FILE holds a record of METRIC with VALUE
has() { grep -q "\"metric\":\"$2\",\"value\":$3," "$1"; }
# lacks FILE METRIC VALUE: FILE holds no record of METRIC with VALUE
lacks() { ! has "$@"; }
# stop PID: SIGTERM, then its exit status in RC
stop() { kill -TERM "$1"; wait "$1"; RC=$?; }
