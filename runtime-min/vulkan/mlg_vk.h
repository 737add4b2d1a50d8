/* mlg_vk.h: the small host runtime for models mlgen compiled to Vulkan.
 *
 * mlgen writes, per model, a table (mlg_vk_model) of SPIR-V kernels, the
 * weights and the buffer sizes; this runtime turns it into Vulkan objects
 * once and then replays one recorded command buffer per inference:
 *
 *   mlg_vk ctx;                            caller-owned, no malloc here
 *   VkPipeline pipes[DIGITS_VK_NUM_KERNELS];
 *   if (mlg_vk_init(&ctx, &digits_vk_model, pipes, NULL, 0)) puts(mlg_vk_error(&ctx));
 *   mlg_vk_run(&ctx, inputs, outputs);     copy in, submit, wait, copy out
 *   mlg_vk_destroy(&ctx);
 *
 * Three storage buffers, the same in every shader (docs/vulkan.md):
 *   binding 0  arena    temporaries at their memory-plan offsets (device local)
 *   binding 1  weights  constants, uploaded once at init (device local)
 *   binding 2  io       inputs then outputs at 16-byte aligned offsets
 *                       (host visible, persistently mapped)
 *
 * Every function returns MLG_VK_OK (0) or an MLG_VK_E_* code, with a message
 * in mlg_vk_error(); nothing aborts or prints. Call mlg_vk_destroy() after a
 * failed init too: it releases whatever was created. C99, links only the
 * Vulkan loader.
 */
#ifndef MLG_VK_H
#define MLG_VK_H

#include <stddef.h>
#include <stdint.h>
#include <vulkan/vulkan.h>

#ifdef __cplusplus
extern "C" {
#endif

enum {
  MLG_VK_OK = 0,
  MLG_VK_E_ARG,        /* NULL pointer, bad index */
  MLG_VK_E_NO_DEVICE,  /* no Vulkan 1.1 device with a compute queue */
  MLG_VK_E_FEATURE,    /* the device lacks a feature the kernels use */
  MLG_VK_E_LIMIT,      /* a buffer exceeds the device's limits */
  MLG_VK_E_VULKAN,     /* a Vulkan call failed (see vk_result) */
  MLG_VK_E_LAYER,      /* validation requested but the layer is missing */
  MLG_VK_E_VALIDATION, /* the validation layer reported a message */
  MLG_VK_E_VALUE       /* mlg_vk_run: a value given at run time disagrees with the shapes the model was built for
                          (a run-time check failed: docs/c-api.md); the outputs are not copied */
};

/* device features the kernels need (mlg_vk_model.features) */
#define MLG_VK_NEED_INT64 1u   /* shaderInt64 */
#define MLG_VK_NEED_FLOAT64 2u /* shaderFloat64 */

/* mlg_vk_init flags */
#define MLG_VK_VALIDATION 1u /* enable VK_LAYER_KHRONOS_validation; any message fails */

typedef struct {
  const char *name, *dtype;
  int rank;
  int64_t shape[8];
  int64_t size, bytes; /* elements, bytes */
  uint64_t offset;     /* byte offset in the io buffer */
} mlg_vk_tensor;

typedef struct {
  const char *name, *origin;
  const uint32_t *spirv;
  uint32_t words;
  uint32_t wg;      /* local_size_x */
  uint32_t items;   /* invocations; 0 = nothing to do */
  uint32_t barrier; /* a compute->compute barrier must precede it */
} mlg_vk_kernel;

typedef struct {
  const char *name;
  uint32_t features; /* MLG_VK_NEED_* */
  uint64_t arena_size, weights_size, io_size;
  const uint32_t *weights; /* weights_size bytes, little endian */
  int nkernels, ninputs, noutputs;
  const mlg_vk_kernel *kernels;
  const mlg_vk_tensor *inputs, *outputs;
  int nchecks;                  /* run-time checks (values that decide shapes) */
  const uint64_t *checks;       /* their io offsets: the kernels write 1 there when the check holds */
} mlg_vk_model;

/* An application's own Vulkan objects, for mlg_vk_init to use instead of
 * creating its own. The device must have the features in model->features
 * enabled and `queue` must support compute. They are not destroyed. */
typedef struct {
  VkInstance instance;
  VkPhysicalDevice physical;
  VkDevice device;
  VkQueue queue;
  uint32_t queue_family;
} mlg_vk_adopt;

typedef struct {
  const mlg_vk_model *m;
  VkPipeline *pipelines; /* caller storage, m->nkernels entries */
  int own_instance, own_device;
  VkInstance instance;
  VkPhysicalDevice physical;
  VkDevice device;
  VkQueue queue;
  uint32_t queue_family;
  VkDebugUtilsMessengerEXT messenger;
  VkBuffer buf[3];
  VkDeviceMemory mem[3];
  unsigned char *io; /* mapped io buffer */
  VkDescriptorSetLayout set_layout;
  VkDescriptorPool pool;
  VkDescriptorSet set;
  VkPipelineLayout layout;
  VkCommandPool cmd_pool;
  VkCommandBuffer cmd;
  VkFence fence;
  uint32_t max_groups[2];
  char device_name[VK_MAX_PHYSICAL_DEVICE_NAME_SIZE];
  int status;
  VkResult vk_result;
  int validation_messages;
  char msg[512];
} mlg_vk;

int mlg_vk_init(mlg_vk *c, const mlg_vk_model *m, VkPipeline *pipelines, const mlg_vk_adopt *adopt, unsigned flags);
/* inputs[i] / outputs[i] in the order of m->inputs / m->outputs */
int mlg_vk_run(mlg_vk *c, const void *const *inputs, void *const *outputs);
/* Zero-copy use: write inputs at mlg_vk_input(), call mlg_vk_submit(), read
 * results at mlg_vk_output(). NULL for a bad index. */
void *mlg_vk_input(mlg_vk *c, int i);
const void *mlg_vk_output(mlg_vk *c, int i);
int mlg_vk_submit(mlg_vk *c);
const char *mlg_vk_error(const mlg_vk *c);
void mlg_vk_destroy(mlg_vk *c);

#ifdef __cplusplus
}
#endif

#endif /* MLG_VK_H */
