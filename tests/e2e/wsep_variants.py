"""wsep_variants.py SRC OUT: model variants for the --weights-separate tests
(stdlib only). From the digits example in SRC it writes
  OUT/retrained/digits.yaml: the same graph, every weight changed
      (w * (1 + 0.1 sin(i)) + 0.01 cos(i)): a retrained model;
  OUT/other/digits.yaml: the same weights, a Sigmoid for the first Relu:
      another architecture with the same weight layout;
and, for a blob given as OUT/a.bin, the refused variants:
  corrupt.bin (one payload byte flipped), truncated.bin (last byte gone),
  version.bin (format 2), magic.bin (not MLGW), partition.bin (64 zero
  bytes after the blob: accepted). It also checks the header's CRC-32 and
  sizes against zlib's crc32 and the file's length (exit 1 if they differ)."""
import math, os, shutil, struct, sys, zlib

src, out = sys.argv[1], sys.argv[2]
yaml = open(os.path.join(src, "digits.yaml")).read()
for v in ("retrained", "other"):
    os.makedirs(os.path.join(out, v, "weights"), exist_ok=True)
for f in sorted(os.listdir(os.path.join(src, "weights"))):
    b = open(os.path.join(src, "weights", f), "rb").read()
    shutil.copy(os.path.join(src, "weights", f), os.path.join(out, "other", "weights", f))
    hdr = 10 + struct.unpack("<H", b[8:10])[0]
    assert b"'<f4'" in b[:hdr], f
    n = (len(b) - hdr) // 4
    x = struct.unpack("<%df" % n, b[hdr:])
    y = [v * (1 + 0.1 * math.sin(i)) + 0.01 * math.cos(i) for i, v in enumerate(x)]
    open(os.path.join(out, "retrained", "weights", f), "wb").write(b[:hdr] + struct.pack("<%df" % n, *y))
open(os.path.join(out, "retrained", "digits.yaml"), "w").write(yaml)
other = yaml.replace("{op: Relu,    in: [h1]", "{op: Sigmoid, in: [h1]", 1)
assert other != yaml
open(os.path.join(out, "other", "digits.yaml"), "w").write(other)

a = os.path.join(out, "a.bin")
if os.path.exists(a):
    b = open(a, "rb").read()
    magic, ver, hdr, align, hlo, hhi, plo, phi, crc, nt = struct.unpack("<4s9I", b[:40])
    ok = magic == b"MLGW" and ver == 1 and hdr == 64 and align == 16 and phi == 0
    ok = ok and len(b) == 64 + plo and crc == zlib.crc32(b[64:]) and b[40:64] == bytes(24)
    print("header: magic %s version %d payload %d tensors %d crc %08x (zlib %08x)" % (magic, ver, plo, nt, crc, zlib.crc32(b[64:])))
    if not ok:
        sys.exit("the blob's header does not describe its payload")
    w = lambda name, data: open(os.path.join(out, name), "wb").write(data)
    w("corrupt.bin", b[:64 + plo // 2] + bytes([b[64 + plo // 2] ^ 0x10]) + b[64 + plo // 2 + 1:])
    w("truncated.bin", b[:-1])
    w("version.bin", b[:4] + struct.pack("<I", 2) + b[8:])
    w("magic.bin", b"MLGX" + b[4:])
    w("partition.bin", b + bytes(64))
