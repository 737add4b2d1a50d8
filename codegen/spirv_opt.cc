// spirv_opt.cc: SPIRV-Tools' optimizer behind a C function. SPIRV-Tools
// 2023.1 has no C API for it, so this is the only C++ in mlgen; spirv.c
// calls it. Output words are malloc'd; the caller frees them.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <spirv-tools/optimizer.hpp>

extern "C" int mlg_spirv_optimize(const uint32_t *in, size_t n, uint32_t **out, size_t *nout, char *err,
                                  size_t errlen) {
  std::string msg;
  spvtools::Optimizer opt(SPV_ENV_VULKAN_1_1);
  opt.SetMessageConsumer([&msg](spv_message_level_t, const char *, const spv_position_t &, const char *m) {
    if (msg.empty() && m) msg = m;
  });
  opt.RegisterPerformancePasses();
  std::vector<uint32_t> r;
  if (!opt.Run(in, n, &r) || r.empty()) {
    std::snprintf(err, errlen, "%s", msg.empty() ? "optimizer failed" : msg.c_str());
    return -1;
  }
  *out = static_cast<uint32_t *>(std::malloc(r.size() * sizeof(uint32_t)));
  if (!*out) {
    std::snprintf(err, errlen, "out of memory");
    return -1;
  }
  std::memcpy(*out, r.data(), r.size() * sizeof(uint32_t));
  *nout = r.size();
  return 0;
}
