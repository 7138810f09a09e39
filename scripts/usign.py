#!/usr/bin/env python3
"""usign signatures for an opkg feed (OpenWrt 24.10 checks Packages.sig against the keys in
/etc/opkg/keys before it uses a feed's index).

  usign.py sign KEY.pem FILE          writes FILE.sig
  usign.py pubkey KEY.pem OUT         writes the public key as `opkg-key add OUT` takes it

KEY.pem is an Ed25519 private key in OpenSSL's format (`openssl genpkey -algorithm ed25519`);
openssl does the signing. The files are usign's (the signify format): a comment line, then
base64 of "Ed" + an 8-byte key number + the 64-byte signature or the 32-byte public key.
usign names a trusted key file after the key number in hex, so the number is fixed per key:
the first 8 bytes of the SHA-512 of the public key.
"""
import base64
import hashlib
import subprocess
import sys


def public_key(key):
    der = subprocess.run(["openssl", "pkey", "-in", key, "-pubout", "-outform", "DER"],
                         capture_output=True, check=True).stdout
    return der[-32:]  # an Ed25519 SubjectPublicKeyInfo ends with the raw 32-byte key


def key_number(pub):
    return hashlib.sha512(pub).digest()[:8]


def main():
    if len(sys.argv) != 4 or sys.argv[1] not in ("sign", "pubkey"):
        sys.exit(__doc__)
    cmd, key, path = sys.argv[1:]
    pub = public_key(key)
    num = key_number(pub)
    if cmd == "pubkey":
        with open(path, "w") as fh:
            fh.write(f"untrusted comment: edgeddns feed key {num.hex()}\n")
            fh.write(base64.b64encode(b"Ed" + num + pub).decode() + "\n")
        return
    sig = subprocess.run(["openssl", "pkeyutl", "-sign", "-rawin", "-inkey", key, "-in", path],
                         capture_output=True, check=True).stdout
    if len(sig) != 64:
        sys.exit(f"error: {key} is not an Ed25519 key (signature of {len(sig)} bytes)")
    with open(path + ".sig", "w") as fh:
        fh.write(f"untrusted comment: signed by key {num.hex()}\n")
        fh.write(base64.b64encode(b"Ed" + num + sig).decode() + "\n")


if __name__ == "__main__":
    main()
