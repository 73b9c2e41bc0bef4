#!/bin/bash
# Robustness: the card must answer every APDU and never die.
#   1. random well-formed APDUs through the real stack (opensc-tool -s);
#   2. raw random frames straight into a second card process, through a
#      stand-in for the vpcd driver, with lengths and contents that no
#      PC/SC stack would let through.
# Either way the card must still answer SELECT with 9000 afterwards.
set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/card/lib.sh
. "$here/lib.sh"
rig_enter "$0" -- "$@"

work=$CAREID_RIG_DIR/fuzz
mkdir -p "$work" && cd "$work" || exit 99
export CAREID_TEST_LOG=$work/log
rounds=${CAREID_FUZZ_ROUNDS:-300}
seed=${CAREID_FUZZ_SEED:-$$}
echo "# seed $seed, $rounds rounds"

# ---- 1: through pcscd ----
python3 - "$seed" "$rounds" > apdus.txt <<'EOF'
import random, sys
r = random.Random(int(sys.argv[1]))
ins = [0x20, 0x24, 0x2C, 0x47, 0x87, 0xCB, 0xDB, 0xA4, 0xC0, 0xF7, 0xF8, 0xFD, 0xFF]
for _ in range(int(sys.argv[2])):
    cla = r.choice([0x00, 0x00, 0x00, 0x10, r.randrange(256)])
    i = r.choice(ins) if r.random() < 0.8 else r.randrange(256)
    p1, p2 = r.randrange(256), r.randrange(256)
    if r.random() < 0.4:
        p1, p2 = r.choice([(0x3F, 0xFF), (0x00, 0x80), (0x00, 0x81), (0x07, 0x9A), (0x11, 0x9C), (0x03, 0x9B), (0x00, 0x9A)])
    n = r.choice([0, 0, 1, 2, 5, 8, 16, r.randrange(1, 256)])
    data = bytes(r.randrange(256) for _ in range(n))
    if r.random() < 0.3 and n >= 2:
        data = bytes([r.choice([0x5C, 0x7C, 0xAC, 0x53]), n - 2]) + data[2:]
    apdu = bytes([cla, i, p1, p2])
    if n:
        apdu += bytes([n]) + data
    if r.random() < 0.5:
        apdu += bytes([r.randrange(256)])
    print(apdu.hex().upper())
EOF
before=$(card_apdu_count)
fails=0
while mapfile -t -n 20 batch && [ ${#batch[@]} -gt 0 ]; do
	args=()
	for a in "${batch[@]}"; do args+=(-s "$a"); done
	# opensc-tool stops at the first APDU it cannot send; that is fine.
	opensc-tool -r 0 "${args[@]}" >>"$CAREID_TEST_LOG" 2>&1 || fails=$((fails + 1))
done < apdus.txt
after=$(card_apdu_count)
echo "# served $((after - before)) APDUs ($fails batches cut short by opensc-tool)"
check "card process alive after random APDUs" kill -0 "$(card_pid)"
check "card served the random APDUs" test "$after" -gt "$((before + rounds / 2))"
check "card still answers SELECT with 9000" test "$(last_sw 00CB3FFF055C035FC10200)" = 9000
check "card still usable by OpenSC" pkcs11-tool --module /usr/lib/x86_64-linux-gnu/opensc-pkcs11.so -O

# ---- 2: raw frames into a second card process ----
cp "$CAREID_STATE" raw.state
python3 - "$seed" "$rounds" "$CAREID_VCARD" "$work/raw.state" > raw.txt 2>&1 <<'EOF'
import os, random, socket, struct, subprocess, sys
r = random.Random(int(sys.argv[1]) + 1)
rounds, vcard, state = int(sys.argv[2]), sys.argv[3], sys.argv[4]
srv = socket.socket()
srv.bind(("127.0.0.1", 0))
srv.listen(1)
port = srv.getsockname()[1]
card = subprocess.Popen([vcard, "--once", "--port", str(port), "--state", state])
srv.settimeout(10)
conn, _ = srv.accept()
conn.settimeout(10)

def recv_exact(n):
    b = b""
    while len(b) < n:
        c = conn.recv(n - len(b))
        if not c:
            raise SystemExit("card closed the link")
        b += c
    return b

def xfer(payload):
    conn.sendall(struct.pack(">H", len(payload)) + payload)
    if len(payload) == 1 and payload[0] != 4:
        return None
    n = struct.unpack(">H", recv_exact(2))[0]
    return recv_exact(n)

xfer(b"\x01")
bad = 0
for k in range(rounds):
    kind = r.randrange(6)
    if kind == 0:
        p = bytes([r.choice([0, 1, 2, 4, 0x77])])
    elif kind == 1:
        p = bytes(r.randrange(256) for _ in range(r.randrange(2, 12)))
    elif kind == 2:   # extended length, consistent or not
        n = r.randrange(0, 2000)
        p = bytes([0, r.randrange(256), r.randrange(256), r.randrange(256), 0]) + struct.pack(">H", r.randrange(65536)) + os.urandom(n)
    elif kind == 3:   # chaining without an end
        p = bytes([0x10, r.choice([0xDB, 0x87, 0x20]), 0x3F, 0xFF, 255]) + os.urandom(255)
    elif kind == 4:   # TLV-shaped junk for the PIV parsers
        body = bytes([r.choice([0x5C, 0x7C, 0xAC, 0x53]), 0x82, 0xFF, 0xFF]) + os.urandom(r.randrange(0, 40))
        p = bytes([0, r.choice([0xCB, 0xDB, 0x87, 0x47]), r.randrange(256), r.randrange(256), len(body)]) + body
    else:
        p = os.urandom(r.randrange(4, 600))
    resp = xfer(p)
    if resp is not None and len(resp) < 2 and not (len(p) == 1):
        bad += 1
# The card must still be a PIV card.
resp = xfer(bytes.fromhex("00A4040009A00000030800001000"))
print("select-sw", resp[-2:].hex())
print("bad-replies", bad)
conn.close()
card.wait(timeout=10)
print("exit", card.returncode)
EOF
check "raw frames: every APDU got a status word" grep -q '^bad-replies 0$' raw.txt
check "raw frames: SELECT still answered with 9000" grep -q '^select-sw 9000$' raw.txt
check "raw frames: card exited cleanly when the reader went away" grep -q '^exit 0$' raw.txt

finish
