/* mlg_serve.h: the wire protocol of mlgen-serve (mlgen_serve.c) and of its
 * client, `mlgen verify --remote` (cli/remote.c). docs/bring-up.md.
 *
 * A connection is a sequence of frames, each
 *     u32 length (little endian, of what follows: 1 + payload bytes)
 *     u8  type
 *     payload
 * The client sends requests and reads one reply to each, in order:
 *     HELLO  token bytes (maybe none)     -> OK, or ERR and the connection closed
 *     LOAD   a shared object's bytes      -> OK with u32 nin, u32 nout, then u64 bytes
 *                                            of each input, then of each output
 *     INPUT  u32 index, the tensor's bytes -> OK
 *     RUN    (nothing)                     -> OK with i32 the model's status
 *     OUTPUT u32 index                     -> DATA, the tensor's bytes
 *     BYE    (nothing)                     -> OK, then the connection closes
 * HELLO comes first; LOAD once. Any malformed frame (unknown type, a length
 * of 0 or over the server's frame cap, a payload of the wrong size, a
 * request out of order) gets ERR with a message and the connection closed;
 * the server goes on serving others. ERR's payload is UTF-8 text.
 *
 * The shared object is a model built for the C target with glue that
 * exports the MLG_SERVE_* symbols below (the client compiles it: the device
 * needs no compiler, the client a compiler for the device's ABI).
 */
#ifndef MLG_SERVE_H
#define MLG_SERVE_H

enum {
  MLG_F_HELLO = 1,
  MLG_F_LOAD = 2,
  MLG_F_INPUT = 3,
  MLG_F_RUN = 4,
  MLG_F_OUTPUT = 5,
  MLG_F_BYE = 6,
  MLG_F_OK = 0x80,
  MLG_F_ERR = 0x81,
  MLG_F_DATA = 0x82
};

#define MLG_SERVE_PORT 7787
/* what the shared object exports (C linkage) */
#define MLG_SERVE_SYM_NIN "mlg_serve_nin"         /* int (void) */
#define MLG_SERVE_SYM_NOUT "mlg_serve_nout"       /* int (void) */
#define MLG_SERVE_SYM_IN "mlg_serve_in_bytes"     /* long long (int i) */
#define MLG_SERVE_SYM_OUT "mlg_serve_out_bytes"   /* long long (int i) */
#define MLG_SERVE_SYM_ARENA "mlg_serve_arena"     /* long long (void): bytes */
#define MLG_SERVE_SYM_RUN "mlg_serve_run"         /* int (const void *const *in, void *const *out, void *arena) */

#endif
