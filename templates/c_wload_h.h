## c_wload_h.h -> the weights rows of <name>.h under --weights-separate, written
## by codegen/c_api.c (cg_c): the blob's layout macros, the status codes, the
## handle type and <name>_load_weights. The blob format is docs/firmware.md.
## Syntax: codegen/templates.h. Placeholders:
##   {{name}}          the model's C name (an identifier)
##   {{NAME}}          the same in upper case, the prefix of every macro
##   {{blob_size}}     bytes of the whole blob (header + payload)
##   {{payload_size}}  bytes of its payload
##   {{ntensors}}      the number of tensors in the payload
##   {{model_hash}}    the model hash, 16 hex digits
/* The weights are not in this code: they come as one blob,
 * {{name}}_weights.bin ({{NAME}}_WEIGHTS_BLOB_SIZE bytes), which the caller
 * keeps in memory (flash, RAM) aligned to {{NAME}}_WEIGHTS_BLOB_ALIGN and
 * passes to {{name}}_load_weights() once; the handle it fills is passed to
 * each run. The blob is checked (format, model hash, sizes, CRC-32) and
 * never copied; a refused blob leaves the handle empty, and a run with an
 * empty handle returns 1. A blob of another build with the same code (the
 * same model hash) is accepted: retrained weights need no new firmware. */
#define {{NAME}}_WEIGHTS_FORMAT 1
#define {{NAME}}_WEIGHTS_BLOB_SIZE {{blob_size}}u /* bytes: 64 of header, then the payload */
#define {{NAME}}_WEIGHTS_PAYLOAD_SIZE {{payload_size}}u
#define {{NAME}}_WEIGHTS_BLOB_ALIGN 16u
#define {{NAME}}_WEIGHTS_NUM_TENSORS {{ntensors}}u
#define {{NAME}}_MODEL_HASH 0x{{model_hash}}ull /* FNV-1a 64 of the code that reads the blob */

/* {{name}}_load_weights() status codes */
#define {{NAME}}_WEIGHTS_OK 0
#define {{NAME}}_WEIGHTS_EARG 1      /* the handle or the blob is NULL */
#define {{NAME}}_WEIGHTS_EALIGN 2    /* the blob is not aligned to {{NAME}}_WEIGHTS_BLOB_ALIGN */
#define {{NAME}}_WEIGHTS_ETRUNC 3    /* fewer bytes than its header says */
#define {{NAME}}_WEIGHTS_EMAGIC 4    /* not an mlgen weights blob */
#define {{NAME}}_WEIGHTS_EVERSION 5  /* another format version */
#define {{NAME}}_WEIGHTS_EMODEL 6    /* the weights of another model or architecture */
#define {{NAME}}_WEIGHTS_ECHECKSUM 7 /* the payload's CRC-32 differs: corrupted */

typedef struct {
  const unsigned char *payload; /* NULL until a blob is accepted */
} {{name}}_weights;

/* Checks blob (n bytes, n may exceed the blob: a flash partition) and on
 * success points w at it. Returns {{NAME}}_WEIGHTS_OK or an error code. */
int {{name}}_load_weights({{name}}_weights *w, const void *blob, size_t n);

