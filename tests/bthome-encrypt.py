#!/usr/bin/python3
"""BTHome v2 service data, made the way a sensor makes it, with
python3-cryptography's AESCCM: a peer for ble-read's decoder that shares
none of its code.  Prints the service data (the bytes after UUID d2fc) as hex.

  bthome-encrypt.py [--mac-included] [--key HEX32 --counter N] MAC OBJECTS

MAC is the sensor's own address, AA:BB:CC:DD:EE:FF; OBJECTS the plaintext
objects as hex ("02ca09 03bf13" -> 02ca0903bf13).  Without --key the packet is
not encrypted.

From https://bthome.io/format/ and https://bthome.io/encryption/:
  device information byte: bit 0 encrypted, bit 1 MAC included, bits 5-7
  version (2);
  MAC included: the 6 bytes after that byte are the MAC, reversed (least
  significant byte first, as in the HCI advertising report: A5 80 8F E6 48 54
  for 54:48:E6:8F:80:A5; bthome-ble's parser reads them the same way);
  encrypted: the objects become ciphertext | counter (4, little endian) |
  MIC (4), AES-128-CCM, no associated data, with the 13-byte nonce
  MAC (6, as written, 54 48 E6 8F 80 A5) | UUID d2 fc | device info | counter."""
import argparse
import sys

from cryptography.hazmat.primitives.ciphers.aead import AESCCM


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--mac-included', action='store_true')
    ap.add_argument('--key')
    ap.add_argument('--counter', type=int, default=1)
    ap.add_argument('--trigger', action='store_true', help='bit 2: trigger based device')
    ap.add_argument('mac')
    ap.add_argument('objects', nargs='+')
    a = ap.parse_args()

    mac = bytes.fromhex(a.mac.replace(':', ''))
    if len(mac) != 6:
        sys.exit('MAC: 6 bytes')
    objects = bytes.fromhex(''.join(a.objects))
    info = 2 << 5 | (1 if a.key else 0) | (2 if a.mac_included else 0) | (4 if a.trigger else 0)
    out = bytes([info])
    if a.mac_included:
        out += mac[::-1]
    if a.key:
        counter = a.counter.to_bytes(4, 'little')
        nonce = mac + b'\xd2\xfc' + bytes([info]) + counter
        sealed = AESCCM(bytes.fromhex(a.key), tag_length=4).encrypt(nonce, objects, None)
        out += sealed[:-4] + counter + sealed[-4:]
    else:
        out += objects
    print(out.hex())


main()
