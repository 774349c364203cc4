#!/bin/bash
# Addresses as datasheets give them: 0x0100 in a map and in --probe (and
# a unit id in hex); 0100 is still one hundred, and what is not a number
# is refused with its line.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/modbus-lib.sh"
echo '{"units": {"2": {"hr": [[16, "regs", [4660, 22136]]]}}}' > "$T/s.json"
mb_tcp s "$T/s.json"
printf '[device d]\ntcp = 127.0.0.1:%s\nunit-id = 0x02\nholding:0x0010:uint16:a\nholding:0017:uint16:b\n' "$PORT_s" > "$T/map"
eq "--plan: 0x0010 is 16, 0017 is 17 (decimal), unit 0x02 is 2" "$(modbus-read -c "$T/map" --plan | head -1)" \
	"request 1: device d unit 2 holding 16-17 (2 registers, 2 points) every 10000ms"
modbus-read -c "$T/map" -1 > "$T/once" 2>"$T/once.err"
eq "polled: the registers at 0x0010 and 0x0011" "$(field mv < "$T/once" | grep -v gateway | tr '\n' ' ')" "a=4660 b=22136 "
modbus-read -H 127.0.0.1:$PORT_s -U 2 --probe holding:0x10:2 > "$T/probe" 2>"$T/probe.err"
eq "--probe holding:0x10:2: exit 0" "$?" 0
check "... the registers at 16 and 17 (0x1234 0x5678)" grep -q "^16 *1234 *4660 " "$T/probe"
check "... the second" grep -q "^17 *5678 *22136 " "$T/probe"
for bad in 0x 0x0x10 0xG1 x10; do
	printf '[device d]\ntcp = 127.0.0.1:1\nholding:%s:uint16:a\n' "$bad" > "$T/bad"
	modbus-read -c "$T/bad" --plan > /dev/null 2>"$T/bad.err"
	eq "'$bad' refused (78)" "$?" 78
	check "... said with its line" grep -q "bad:3: expected a 0-based address 0-65535 (or a reference like #40001), got '$bad'" "$T/bad.err"
done
modbus-read -H 127.0.0.1:1 --probe 0x10000:1 2>"$T/big.err"
eq "--probe 0x10000 (65536): a usage error" "$?" 64
