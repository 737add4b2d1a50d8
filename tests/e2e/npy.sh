# npy.sh: sourced by the e2e scripts; npy FILE DESCR SHAPE VALUES... writes a small .npy (python3)
npy() { # FILE DESCR(<i8|<f4) SHAPE(2,3) VALUES...: a little-endian .npy
  python3 -c 'import struct, sys
f, d, shape, v = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
h = "{\x27descr\x27: \x27%s\x27, \x27fortran_order\x27: False, \x27shape\x27: (%s,), }" % (d, shape)
h += " " * (-(10 + len(h) + 1) % 64) + "\n"
v = [int(a) for a in v] if d == "<i8" else [float(a) for a in v]
open(f, "wb").write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(h)) + h.encode() + struct.pack("<%d%s" % (len(v), d[1:2].replace("i", "q")), *v))' "$@"
}
