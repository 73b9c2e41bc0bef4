#!/usr/bin/env python3
"""Writes the seed corpora in tests/fuzz/corpus/<target>/.

The seeds are real-shaped: certificates made by openssl (RSA 2048 with a
12-digit CN as Care Identity cards carry, P-256, P-384, Ed25519, which
careid refuses) and a public root from the system store, the CHUID and
discovery objects as careid-vcard lays them out, and card answers in the
byte order fuzz_io.h reads.  The committed seeds are one run of this
script; running it again makes new keys, which is fine for seeds.

Usage: tests/fuzz/make_corpus.py   (needs openssl and python3)
"""
import gzip
import os
import struct
import subprocess
import sys
import tempfile
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")


def tlv(tag, value):
    tb = tag.to_bytes((tag.bit_length() + 7) // 8 or 1, "big")
    n = len(value)
    if n < 0x80:
        lb = bytes([n])
    elif n <= 0xFF:
        lb = bytes([0x81, n])
    elif n <= 0xFFFF:
        lb = bytes([0x82]) + n.to_bytes(2, "big")
    else:
        lb = bytes([0x83]) + n.to_bytes(3, "big")
    return tb + lb + value


def der_read(data):
    """One DER element: (tag, header length, value)."""
    tag = data[0]
    n = data[1]
    if n < 0x80:
        return tag, 2, data[2:2 + n]
    k = n & 0x7F
    n = int.from_bytes(data[2:2 + k], "big")
    return tag, 2 + k, data[2 + k:2 + k + n]


def openssl(*args, stdin=None):
    return subprocess.run(["openssl", *args], input=stdin, check=True,
                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL).stdout


def make_cert(tmp, name, keyargs, cn):
    key = os.path.join(tmp, name + ".key")
    openssl("genpkey", *keyargs, "-out", key)
    der = openssl("req", "-new", "-x509", "-key", key, "-subj", "/O=careid test/CN=" + cn,
                  "-days", "1095", "-outform", "DER",
                  "-addext", "keyUsage=critical,digitalSignature",
                  "-addext", "authorityKeyIdentifier=keyid:always")
    return key, der


def pubkey_der(key):
    return openssl("pkey", "-in", key, "-pubout", "-outform", "DER")


def rsa_modulus(key):
    # SubjectPublicKeyInfo -> BIT STRING -> RSAPublicKey { n, e }
    _, _, spki = der_read(pubkey_der(key))
    _, h, _alg = der_read(spki)
    alg_len = h + len(_alg)
    _, _, bits = der_read(spki[alg_len:])
    _, _, seq = der_read(bits[1:])
    _, h, n = der_read(seq)
    _, _, e = der_read(seq[h + len(n):])
    return n, e


def ec_point(key):
    _, _, spki = der_read(pubkey_der(key))
    _, h, alg = der_read(spki)
    _, _, bits = der_read(spki[h + len(alg):])
    return bits[1:]


def responses(*rs):
    """Card answers as fuzz_io.h reads them: 2-byte length, bytes."""
    return b"".join(struct.pack(">H", len(r)) + r for r in rs)


def chained(data, sw_last=b"\x90\x00"):
    """data in 256-byte GET RESPONSE pieces (61xx), as T=1 cards send it."""
    out = []
    while len(data) > 256:
        rest = len(data) - 256
        out.append(data[:256] + bytes([0x61, rest if rest < 256 else 0]))
        data = data[256:]
    out.append(data + sw_last)
    return out


def write(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def attrs_blob(attrs):
    """cid_attrs_encode: { u64be type, u32be len, value } repeated."""
    return b"".join(struct.pack(">QI", t, len(v)) + v for t, v in attrs)


def ulong(v):
    return struct.pack("<Q", v)  # native CK_ULONG on x86-64


def main():
    tmp = tempfile.mkdtemp()
    rsa_key, rsa = make_cert(tmp, "rsa", ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
                             "410000000017")
    p256_key, p256 = make_cert(tmp, "p256", ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
                               "410000000025")
    p384_key, p384 = make_cert(tmp, "p384", ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"],
                               "careid P-384 signer")
    _, ed = make_cert(tmp, "ed", ["-algorithm", "ED25519"], "careid Ed25519")
    root = openssl("x509", "-in", "/etc/ssl/certs/ISRG_Root_X1.pem", "-outform", "DER")
    n, e = rsa_modulus(rsa_key)
    point = ec_point(p256_key)
    ecdsa = openssl("dgst", "-sha256", "-sign", p256_key, stdin=b"careid fuzz seed")

    fascn = bytes.fromhex("d4e739da739ced39ce739d836858210c2c19a0846d83685a1082108ce73984")[:25]
    guid = bytes.fromhex("3f2a9c0d11e2b4a7c0ffee0123456789")
    chuid = (tlv(0x30, fascn) + tlv(0x34, guid) + tlv(0x35, b"20291202") + tlv(0x3E, b"") +
             tlv(0xFE, b""))
    discovery = tlv(0x4F, bytes.fromhex("a000000308000010000100")) + tlv(0x5F2F, b"\x40\x00")
    container = tlv(0x70, p256) + tlv(0x71, b"\x00") + tlv(0xFE, b"")
    gz_container = tlv(0x70, gzip.compress(rsa)) + tlv(0x71, b"\x01") + tlv(0xFE, b"")
    rsa_tmpl = tlv(0x81, n) + tlv(0x82, e)
    ec_tmpl = tlv(0x86, point)
    select = tlv(0x61, tlv(0x4F, bytes.fromhex("000010000100")) +
                 tlv(0x79, tlv(0x4F, bytes.fromhex("a000000308"))) + tlv(0x50, b"careid PIV"))
    ok = b"\x90\x00"

    # BER-TLV: the structures the card path parses.
    write("tlv", "chuid", chuid)
    write("tlv", "discovery", tlv(0x7E, discovery))
    write("tlv", "cert-container", container)
    write("tlv", "rsa-template", tlv(0x7F49, rsa_tmpl))
    write("tlv", "ga-response", tlv(0x7C, tlv(0x82, ecdsa)))
    write("tlv", "long-forms", bytes.fromhex("5fc1058200037000017e830000020102"))

    # APDU: flags, Lc, Le, capacity, then the card's answers.
    # 0xF4: short, Lc from byte 1, Le all, capacity 65538.
    write("apdu", "get-data", bytes([0xF4, 5, 0, 0]) + responses(tlv(0x53, chuid) + ok))
    write("apdu", "get-response-chain", bytes([0xF4, 5, 0, 0]) + responses(*chained(tlv(0x53, container))))
    write("apdu", "wrong-le-resend", bytes([0xD4, 5, 16, 0]) + responses(b"\x6c\x10", bytes(16) + ok))
    # 0xF8: 300 bytes of data, chained in two blocks on a short card.
    write("apdu", "command-chain", bytes([0xF8, 0, 0, 0]) + responses(ok, b"\x01\x02" + ok))
    write("apdu", "chain-refused", bytes([0xF8, 0, 0, 0]) + responses(b"\x6a\x80"))
    # 0xF5: extended lengths, the whole object in one answer.
    write("apdu", "extended", bytes([0xF5, 5, 0, 0]) + responses(tlv(0x53, container) + ok))
    # 0x44: no capacity to spare (byte 3), a PIN status.
    write("apdu", "pin-tries", bytes([0x40, 0, 0, 8]) + responses(b"\x63\xc2"))
    # No data at all (a GET VERSION): once undefined behaviour in apdu.c,
    # which offset the NULL data pointer.
    write("apdu", "no-data-command", bytes([0xF0, 0, 0, 0]) + responses(b"\x05\x04\x03" + ok))
    write("apdu", "transport-error", bytes([0xF4, 5, 0, 0]) + responses(b"\x61\x00") + b"\xff\x01")

    # PIV: mode, parameter, then the object or the card's answers.
    write("piv", "chuid", bytes([0, 0]) + chuid)
    write("piv", "cert-container", bytes([1, 0]) + container)
    write("piv", "cert-container-gzip", bytes([1, 1]) + gz_container)
    write("piv", "generated-rsa", bytes([2, 0x00]) + rsa_tmpl)
    write("piv", "generated-p256", bytes([2, 0x0C]) + ec_tmpl)
    write("piv", "ecdsa-signature", bytes([3, 0]) + ecdsa)
    write("piv", "select", bytes([4, 0]) + responses(select + ok))
    write("piv", "get-chuid", bytes([5, 0]) + responses(tlv(0x53, chuid) + ok))
    write("piv", "get-discovery", bytes([6, 0]) + responses(tlv(0x7E, discovery) + ok))
    write("piv", "get-cert-9a", bytes([7, 0]) + responses(*chained(tlv(0x53, tlv(0x70, rsa) + tlv(0x71, b"\x00") + tlv(0xFE, b"")))))
    write("piv", "generate-p256", bytes([8, 0x0C]) + responses(tlv(0x7F49, ec_tmpl) + ok))
    write("piv", "mgmt-metadata", bytes([9, 1]) + responses(
        tlv(0x01, b"\x03") + tlv(0x02, b"\x00\x01") + tlv(0x05, b"\x01") + ok,
        tlv(0x7C, tlv(0x80, bytes(range(8)))) + ok,
        tlv(0x7C, tlv(0x82, bytes(range(8, 16)))) + ok))
    write("piv", "key-metadata", bytes([10, 1]) + responses(
        tlv(0x01, b"\x11") + tlv(0x02, b"\x02\x01") + tlv(0x03, b"\x01") + tlv(0x04, tlv(0x86, point)) + ok))
    write("piv", "verify", bytes([11, 1]) + responses(b"\x63\xc2", ok, b"\x69\x83", ok))
    write("piv", "general-auth", bytes([12, 0x40]) + responses(tlv(0x7C, tlv(0x82, ecdsa)) + ok))
    write("piv", "serial-version", bytes([13, 0]) + responses(b"\x00\x12\xd6\x87" + ok, b"\x05\x04\x03" + ok))

    # Certificates.
    write("x509", "rsa2048-uuid-cn", rsa)
    write("x509", "p256", p256)
    write("x509", "p384", p384)
    write("x509", "ed25519", ed)
    write("x509", "isrg-root-x1", root)

    # Compressed certificates: what goes under tag 70 when CertInfo says gzip.
    write("compressed", "rsa2048.gz", gzip.compress(rsa))
    write("compressed", "p256.gz", gzip.compress(p256))
    write("compressed", "p384.zlib", zlib.compress(p384))

    # Configuration files.
    write("config", "full", b"# careid configuration\n"
          b"token_dir = /var/lib/careid/tokens\n"
          b"soft_tokens = yes\ncard_readers = no\nkdf_cost = 15\nlog_level = info\n")
    write("config", "minimal", b"card_readers=false\n")
    write("config", "comments-unknown", b"  # only comments\n\nfuture_key = 1  # ignored\nkdf_cost=22\n")
    write("config", "bad-value", b"kdf_cost = 9\n")
    write("config", "crlf", b"soft_tokens = 1\r\ntoken_dir = /tmp/careid tokens\r\n")

    # Store blobs (types and classes from pkcs11-spec: CKA_CLASS 0,
    # CKA_TOKEN 1, CKA_PRIVATE 2, CKA_LABEL 3, CKA_VALUE 0x11,
    # CKA_CERTIFICATE_TYPE 0x80, CKA_KEY_TYPE 0x100, CKA_ID 0x102,
    # CKA_MODULUS 0x120, CKA_PUBLIC_EXPONENT 0x122, CKA_PRIVATE_EXPONENT 0x123,
    # CKA_EC_PARAMS 0x180, CKA_EC_POINT 0x181).
    T, F = b"\x01", b"\x00"
    write("store", "certificate", attrs_blob([(0, ulong(1)), (1, T), (2, F), (3, b"Authentication"),
                                              (0x80, ulong(0)), (0x102, b"\x01"), (0x11, p256)]))
    write("store", "rsa-public-key", attrs_blob([(0, ulong(2)), (1, T), (2, F), (0x100, ulong(0)),
                                                 (0x102, b"\x01"), (0x120, n), (0x122, e)]))
    write("store", "ec-public-key", attrs_blob([(0, ulong(2)), (1, T), (2, F), (0x100, ulong(3)),
                                                (0x180, bytes.fromhex("06082a8648ce3d030107")),
                                                (0x181, b"\x04" + bytes([len(point)]) + point)]))
    write("store", "private-key", attrs_blob([(0, ulong(3)), (1, T), (2, T), (0x100, ulong(0)),
                                              (0x120, n), (0x123, bytes(range(256)))]))
    # A public secret key: its value still goes to the sealed part.
    write("store", "public-secret-key", attrs_blob([(0, ulong(4)), (1, T), (2, F), (0x100, ulong(0x1f)),
                                                    (0x11, bytes(32))]))
    write("store", "empty", b"")


if __name__ == "__main__":
    sys.exit(main())
