## c_wload.c -> <name>_load_weights in <name>.c under --weights-separate,
## written by codegen/c_api.c (cg_c): the blob checks (docs/firmware.md has
## the format: a 64-byte little-endian header, then the payload).
## Syntax: codegen/templates.h. Placeholders:
##   {{name}}          the model's C name (an identifier)
##   {{NAME}}          the same in upper case, the prefix of <name>.h's macros
##   {{hash_lo}}       the model hash's low 32 bits, 8 hex digits
##   {{hash_hi}}       its high 32 bits
#if defined(__BYTE_ORDER__) && defined(__ORDER_LITTLE_ENDIAN__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "{{name}}_weights.bin holds little-endian values; this target is big-endian"
#endif

static uint32_t mlg_rd32(const unsigned char *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* CRC-32 (IEEE 802.3, reflected 0xEDB88320, as zlib's crc32), four bits a step */
static uint32_t mlg_crc32(const unsigned char *p, uint32_t n) {
  static const uint32_t t[16] = {0x00000000u, 0x1DB71064u, 0x3B6E20C8u, 0x26D930ACu, 0x76DC4190u, 0x6B6B51F4u,
                                 0x4DB26158u, 0x5005713Cu, 0xEDB88320u, 0xF00F9344u, 0xD6D6A3E8u, 0xCB61B38Cu,
                                 0x9B64C2B0u, 0x86D3D2D4u, 0xA00AE278u, 0xBDBDF21Cu};
  uint32_t c = 0xFFFFFFFFu;
  for (uint32_t i = 0; i < n; i++) {
    c ^= p[i];
    c = (c >> 4) ^ t[c & 15u];
    c = (c >> 4) ^ t[c & 15u];
  }
  return c ^ 0xFFFFFFFFu;
}

int {{name}}_load_weights({{name}}_weights *w, const void *blob, size_t n) {
  const unsigned char *b = (const unsigned char *)blob;
  if (!w) return {{NAME}}_WEIGHTS_EARG;
  w->payload = 0;
  if (!b) return {{NAME}}_WEIGHTS_EARG;
  if ((uintptr_t)b & ({{NAME}}_WEIGHTS_BLOB_ALIGN - 1)) return {{NAME}}_WEIGHTS_EALIGN;
  if (n < 64) return {{NAME}}_WEIGHTS_ETRUNC;
  if (b[0] != 'M' || b[1] != 'L' || b[2] != 'G' || b[3] != 'W') return {{NAME}}_WEIGHTS_EMAGIC;
  if (mlg_rd32(b + 4) != {{NAME}}_WEIGHTS_FORMAT || mlg_rd32(b + 8) != 64 ||
      mlg_rd32(b + 12) != {{NAME}}_WEIGHTS_BLOB_ALIGN)
    return {{NAME}}_WEIGHTS_EVERSION;
  if (mlg_rd32(b + 16) != 0x{{hash_lo}}u || mlg_rd32(b + 20) != 0x{{hash_hi}}u ||
      mlg_rd32(b + 24) != {{NAME}}_WEIGHTS_PAYLOAD_SIZE || mlg_rd32(b + 28) != 0 ||
      mlg_rd32(b + 36) != {{NAME}}_WEIGHTS_NUM_TENSORS)
    return {{NAME}}_WEIGHTS_EMODEL;
  if (n - 64 < {{NAME}}_WEIGHTS_PAYLOAD_SIZE) return {{NAME}}_WEIGHTS_ETRUNC;
  if (mlg_crc32(b + 64, {{NAME}}_WEIGHTS_PAYLOAD_SIZE) != mlg_rd32(b + 32)) return {{NAME}}_WEIGHTS_ECHECKSUM;
  w->payload = b + 64;
  return {{NAME}}_WEIGHTS_OK;
}

