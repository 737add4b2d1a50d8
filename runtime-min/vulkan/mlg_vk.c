/* mlg_vk.c: the Vulkan host runtime (see mlg_vk.h).
 *
 * init:  instance (+ validation messenger) -> physical device with a compute
 *        queue and the model's features -> device -> three buffers (arena,
 *        weights, io) -> weights upload -> one descriptor set -> one compute
 *        pipeline per kernel -> one command buffer recorded for good.
 * run:   copy inputs into the mapped io buffer, submit, wait on a fence,
 *        copy outputs out.
 *
 * Barriers: the generator marks each kernel that reads or overwrites memory
 * an earlier kernel (since the last barrier) wrote or read; those get a
 * compute->compute memory barrier. The last dispatch is followed by a
 * compute->host barrier so the mapped outputs are visible. Host writes
 * before vkQueueSubmit are made visible by the submission itself.
 */
#include "mlg_vk.h"

#include <string.h>

/* ------------------------------------------------------------ messages */
static void msg_cat(mlg_vk *c, const char *s) {
  size_t n = strlen(c->msg);
  while (s && *s && n + 1 < sizeof c->msg) c->msg[n++] = *s++;
  c->msg[n] = 0;
}

static void msg_num(mlg_vk *c, long long v) {
  char t[24];
  int i = 0;
  unsigned long long u = v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v;
  do t[i++] = (char)('0' + u % 10); while ((u /= 10) && i < 22);
  if (v < 0) t[i++] = '-';
  while (i) {
    char s[2] = {t[--i], 0};
    msg_cat(c, s);
  }
}

static const char *vk_name(VkResult r) {
  switch (r) {
  case VK_SUCCESS: return "VK_SUCCESS";
  case VK_TIMEOUT: return "VK_TIMEOUT";
  case VK_ERROR_OUT_OF_HOST_MEMORY: return "VK_ERROR_OUT_OF_HOST_MEMORY";
  case VK_ERROR_OUT_OF_DEVICE_MEMORY: return "VK_ERROR_OUT_OF_DEVICE_MEMORY";
  case VK_ERROR_INITIALIZATION_FAILED: return "VK_ERROR_INITIALIZATION_FAILED";
  case VK_ERROR_DEVICE_LOST: return "VK_ERROR_DEVICE_LOST";
  case VK_ERROR_MEMORY_MAP_FAILED: return "VK_ERROR_MEMORY_MAP_FAILED";
  case VK_ERROR_LAYER_NOT_PRESENT: return "VK_ERROR_LAYER_NOT_PRESENT";
  case VK_ERROR_EXTENSION_NOT_PRESENT: return "VK_ERROR_EXTENSION_NOT_PRESENT";
  case VK_ERROR_FEATURE_NOT_PRESENT: return "VK_ERROR_FEATURE_NOT_PRESENT";
  case VK_ERROR_INCOMPATIBLE_DRIVER: return "VK_ERROR_INCOMPATIBLE_DRIVER";
  case VK_ERROR_TOO_MANY_OBJECTS: return "VK_ERROR_TOO_MANY_OBJECTS";
  default: return "VkResult";
  }
}

static int fail(mlg_vk *c, int status, const char *what) {
  c->status = status;
  c->msg[0] = 0;
  msg_cat(c, what);
  return status;
}

static int vk_fail(mlg_vk *c, VkResult r, const char *call) {
  fail(c, MLG_VK_E_VULKAN, call);
  msg_cat(c, " failed: ");
  msg_cat(c, vk_name(r));
  msg_cat(c, " (");
  msg_num(c, (long long)r);
  msg_cat(c, ")");
  c->vk_result = r;
  return c->status;
}

#define VK(call, name)                               \
  do {                                               \
    VkResult r_ = (call);                            \
    if (r_ != VK_SUCCESS) return vk_fail(c, r_, name); \
  } while (0)

static VKAPI_ATTR VkBool32 VKAPI_CALL on_message(VkDebugUtilsMessageSeverityFlagBitsEXT sev,
                                                 VkDebugUtilsMessageTypeFlagsEXT type,
                                                 const VkDebugUtilsMessengerCallbackDataEXT *data, void *user) {
  mlg_vk *c = user;
  /* INFO is status ("validation layer active", loader chatter); every
   * warning or error counts */
  (void)type;
  if (sev < VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT) return VK_FALSE;
  if (!c->validation_messages++) {
    c->msg[0] = 0;
    msg_cat(c, "validation: ");
    msg_cat(c, data && data->pMessage ? data->pMessage : "(no text)");
  }
  return VK_FALSE;
}

/* ------------------------------------------------------------- instance */
static int has_layer(const char *name) {
  VkLayerProperties props[64];
  uint32_t n = 64;
  VkResult r = vkEnumerateInstanceLayerProperties(&n, props);
  if (r != VK_SUCCESS && r != VK_INCOMPLETE) return 0;
  for (uint32_t i = 0; i < n; i++)
    if (!strcmp(props[i].layerName, name)) return 1;
  return 0;
}

static int make_instance(mlg_vk *c, unsigned flags) {
  static const char *const layer = "VK_LAYER_KHRONOS_validation";
  static const char *const ext = VK_EXT_DEBUG_UTILS_EXTENSION_NAME;
  int validate = (flags & MLG_VK_VALIDATION) != 0;
  if (validate && !has_layer(layer))
    return fail(c, MLG_VK_E_LAYER, "validation requested but VK_LAYER_KHRONOS_validation is not installed");
  VkApplicationInfo app = {VK_STRUCTURE_TYPE_APPLICATION_INFO, NULL, c->m->name, 1, "mlgen", 1, VK_API_VERSION_1_1};
  VkDebugUtilsMessengerCreateInfoEXT dbg = {.sType = VK_STRUCTURE_TYPE_DEBUG_UTILS_MESSENGER_CREATE_INFO_EXT};
  dbg.messageSeverity = VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT | VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT;
  dbg.messageType = VK_DEBUG_UTILS_MESSAGE_TYPE_GENERAL_BIT_EXT | VK_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT |
                    VK_DEBUG_UTILS_MESSAGE_TYPE_PERFORMANCE_BIT_EXT;
  dbg.pfnUserCallback = on_message;
  dbg.pUserData = c;
  VkInstanceCreateInfo ci = {.sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO};
  ci.pApplicationInfo = &app;
  if (validate) {
    ci.pNext = &dbg;
    ci.enabledLayerCount = 1;
    ci.ppEnabledLayerNames = &layer;
    ci.enabledExtensionCount = 1;
    ci.ppEnabledExtensionNames = &ext;
  }
  VkResult r = vkCreateInstance(&ci, NULL, &c->instance);
  if (r == VK_ERROR_INCOMPATIBLE_DRIVER) return fail(c, MLG_VK_E_NO_DEVICE, "no Vulkan driver is installed");
  if (r != VK_SUCCESS) return vk_fail(c, r, "vkCreateInstance");
  c->own_instance = 1;
  if (validate) {
    PFN_vkCreateDebugUtilsMessengerEXT mk =
        (PFN_vkCreateDebugUtilsMessengerEXT)vkGetInstanceProcAddr(c->instance, "vkCreateDebugUtilsMessengerEXT");
    if (!mk) return fail(c, MLG_VK_E_LAYER, "vkCreateDebugUtilsMessengerEXT is missing");
    VK(mk(c->instance, &dbg, NULL, &c->messenger), "vkCreateDebugUtilsMessengerEXT");
  }
  return 0;
}

/* ---------------------------------------------------------------- device */
static int lacks_features(mlg_vk *c, VkPhysicalDevice pd, int say) {
  VkPhysicalDeviceFeatures f;
  vkGetPhysicalDeviceFeatures(pd, &f);
  const char *miss = (c->m->features & MLG_VK_NEED_INT64) && !f.shaderInt64       ? "shaderInt64"
                     : (c->m->features & MLG_VK_NEED_FLOAT64) && !f.shaderFloat64 ? "shaderFloat64"
                                                                                   : NULL;
  if (miss && say) {
    fail(c, MLG_VK_E_FEATURE, "the device lacks ");
    msg_cat(c, miss);
    msg_cat(c, ", which the kernels of this model use (rebuild with --vk-features none to find them)");
  }
  return miss != NULL;
}

static int compute_family(VkPhysicalDevice pd, uint32_t *fam) {
  VkQueueFamilyProperties q[16];
  uint32_t n = 16;
  vkGetPhysicalDeviceQueueFamilyProperties(pd, &n, q);
  for (uint32_t i = 0; i < n; i++)
    if (q[i].queueFlags & VK_QUEUE_COMPUTE_BIT) {
      *fam = i;
      return 1;
    }
  return 0;
}

static int pick_device(mlg_vk *c) {
  VkPhysicalDevice pds[16];
  uint32_t n = 16, fam = 0;
  VkResult r = vkEnumeratePhysicalDevices(c->instance, &n, pds);
  if (r != VK_SUCCESS && r != VK_INCOMPLETE) return vk_fail(c, r, "vkEnumeratePhysicalDevices");
  int best = -1, best_rank = -1, lacking = -1;
  for (uint32_t i = 0; i < n; i++) {
    VkPhysicalDeviceProperties p;
    vkGetPhysicalDeviceProperties(pds[i], &p);
    if (p.apiVersion < VK_API_VERSION_1_1 || !compute_family(pds[i], &fam)) continue;
    if (lacks_features(c, pds[i], 0)) {
      lacking = (int)i;
      continue;
    }
    int rank = p.deviceType == VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU     ? 4
               : p.deviceType == VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU ? 3
               : p.deviceType == VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU    ? 2
               : p.deviceType == VK_PHYSICAL_DEVICE_TYPE_CPU            ? 1
                                                                         : 0;
    if (rank > best_rank) {
      best = (int)i;
      best_rank = rank;
    }
  }
  if (best < 0 && lacking >= 0) {
    lacks_features(c, pds[lacking], 1);
    return c->status;
  }
  if (best < 0) return fail(c, MLG_VK_E_NO_DEVICE, "no Vulkan 1.1 device with a compute queue");
  c->physical = pds[best];
  compute_family(c->physical, &c->queue_family);
  return 0;
}

static int make_device(mlg_vk *c) {
  float prio = 1.0f;
  VkDeviceQueueCreateInfo q = {.sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO};
  q.queueFamilyIndex = c->queue_family;
  q.queueCount = 1;
  q.pQueuePriorities = &prio;
  VkPhysicalDeviceFeatures f;
  memset(&f, 0, sizeof f);
  f.shaderInt64 = (c->m->features & MLG_VK_NEED_INT64) ? VK_TRUE : VK_FALSE;
  f.shaderFloat64 = (c->m->features & MLG_VK_NEED_FLOAT64) ? VK_TRUE : VK_FALSE;
  VkDeviceCreateInfo ci = {.sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO};
  ci.queueCreateInfoCount = 1;
  ci.pQueueCreateInfos = &q;
  ci.pEnabledFeatures = &f;
  VK(vkCreateDevice(c->physical, &ci, NULL, &c->device), "vkCreateDevice");
  c->own_device = 1;
  vkGetDeviceQueue(c->device, c->queue_family, 0, &c->queue);
  return 0;
}

/* --------------------------------------------------------------- buffers */
static int find_memory(mlg_vk *c, uint32_t bits, VkMemoryPropertyFlags want, uint32_t *type) {
  VkPhysicalDeviceMemoryProperties mp;
  vkGetPhysicalDeviceMemoryProperties(c->physical, &mp);
  for (uint32_t i = 0; i < mp.memoryTypeCount; i++)
    if ((bits & (1u << i)) && (mp.memoryTypes[i].propertyFlags & want) == want) {
      *type = i;
      return 1;
    }
  return 0;
}

/* a buffer in the first memory kind of `prefs` the device offers */
static int make_buffer(mlg_vk *c, uint64_t size, VkBufferUsageFlags usage, const VkMemoryPropertyFlags *prefs,
                       int nprefs, VkBuffer *buf, VkDeviceMemory *mem, VkMemoryPropertyFlags *got) {
  VkBufferCreateInfo bi = {.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO};
  bi.size = size ? (size + 15) / 16 * 16 : 16;
  bi.usage = usage;
  bi.sharingMode = VK_SHARING_MODE_EXCLUSIVE;
  VK(vkCreateBuffer(c->device, &bi, NULL, buf), "vkCreateBuffer");
  VkMemoryRequirements req;
  vkGetBufferMemoryRequirements(c->device, *buf, &req);
  uint32_t type = 0;
  int i;
  for (i = 0; i < nprefs; i++)
    if (find_memory(c, req.memoryTypeBits, prefs[i], &type)) break;
  if (i == nprefs) return fail(c, MLG_VK_E_VULKAN, "no suitable memory type for a buffer");
  *got = prefs[i];
  VkMemoryAllocateInfo ai = {.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO};
  ai.allocationSize = req.size;
  ai.memoryTypeIndex = type;
  VK(vkAllocateMemory(c->device, &ai, NULL, mem), "vkAllocateMemory");
  VK(vkBindBufferMemory(c->device, *buf, *mem, 0), "vkBindBufferMemory");
  return 0;
}

static int one_time_submit(mlg_vk *c) {
  VkSubmitInfo si = {.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO};
  si.commandBufferCount = 1;
  si.pCommandBuffers = &c->cmd;
  VK(vkResetFences(c->device, 1, &c->fence), "vkResetFences");
  VK(vkQueueSubmit(c->queue, 1, &si, c->fence), "vkQueueSubmit");
  VK(vkWaitForFences(c->device, 1, &c->fence, VK_TRUE, UINT64_MAX), "vkWaitForFences");
  return 0;
}

static int make_buffers(mlg_vk *c) {
  const mlg_vk_model *m = c->m;
  const VkMemoryPropertyFlags HV = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
  const VkMemoryPropertyFlags DL = VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT;
  const VkMemoryPropertyFlags arena_p[] = {DL, 0}, weights_p[] = {DL | HV, DL, HV}, io_p[] = {HV};
  const VkBufferUsageFlags SB = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT;
  VkPhysicalDeviceProperties p;
  vkGetPhysicalDeviceProperties(c->physical, &p);
  uint64_t sizes[3] = {m->arena_size, m->weights_size, m->io_size};
  static const char *const what[3] = {"the arena", "the weights", "the io buffer"};
  for (int i = 0; i < 3; i++)
    if (sizes[i] > p.limits.maxStorageBufferRange) {
      fail(c, MLG_VK_E_LIMIT, what[i]);
      msg_cat(c, " needs ");
      msg_num(c, (long long)sizes[i]);
      msg_cat(c, " bytes, more than the device's maxStorageBufferRange of ");
      msg_num(c, (long long)p.limits.maxStorageBufferRange);
      return c->status;
    }
  c->max_groups[0] = p.limits.maxComputeWorkGroupCount[0];
  c->max_groups[1] = p.limits.maxComputeWorkGroupCount[1];
  VkMemoryPropertyFlags got;
  if (make_buffer(c, m->arena_size, SB, arena_p, 2, &c->buf[0], &c->mem[0], &got)) return c->status;
  if (make_buffer(c, m->weights_size, SB | VK_BUFFER_USAGE_TRANSFER_DST_BIT, weights_p, 3, &c->buf[1], &c->mem[1],
                  &got))
    return c->status;
  if (got & VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT) {
    void *w;
    VK(vkMapMemory(c->device, c->mem[1], 0, VK_WHOLE_SIZE, 0, &w), "vkMapMemory");
    if (m->weights_size) memcpy(w, m->weights, (size_t)m->weights_size);
    vkUnmapMemory(c->device, c->mem[1]);
  } else if (m->weights_size) { /* staging copy */
    VkBuffer sb;
    VkDeviceMemory sm;
    void *w;
    if (make_buffer(c, m->weights_size, VK_BUFFER_USAGE_TRANSFER_SRC_BIT, io_p, 1, &sb, &sm, &got)) return c->status;
    int rc = MLG_VK_OK;
    VkResult r = vkMapMemory(c->device, sm, 0, VK_WHOLE_SIZE, 0, &w);
    if (r != VK_SUCCESS) rc = vk_fail(c, r, "vkMapMemory");
    if (!rc) {
      memcpy(w, m->weights, (size_t)m->weights_size);
      vkUnmapMemory(c->device, sm);
      VkCommandBufferBeginInfo bi = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
      bi.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT;
      VkBufferCopy cp = {0, 0, (m->weights_size + 15) / 16 * 16};
      VkMemoryBarrier mb = {VK_STRUCTURE_TYPE_MEMORY_BARRIER, NULL, VK_ACCESS_TRANSFER_WRITE_BIT,
                            VK_ACCESS_SHADER_READ_BIT};
      r = vkBeginCommandBuffer(c->cmd, &bi);
      if (r == VK_SUCCESS) {
        vkCmdCopyBuffer(c->cmd, sb, c->buf[1], 1, &cp);
        vkCmdPipelineBarrier(c->cmd, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, 0, 1, &mb,
                             0, NULL, 0, NULL);
        r = vkEndCommandBuffer(c->cmd);
      }
      if (r != VK_SUCCESS) rc = vk_fail(c, r, "recording the weights upload");
      if (!rc) rc = one_time_submit(c);
      if (!rc && (r = vkResetCommandBuffer(c->cmd, 0)) != VK_SUCCESS) rc = vk_fail(c, r, "vkResetCommandBuffer");
    }
    vkDestroyBuffer(c->device, sb, NULL);
    vkFreeMemory(c->device, sm, NULL);
    if (rc) return rc;
  }
  if (make_buffer(c, m->io_size, SB, io_p, 1, &c->buf[2], &c->mem[2], &got)) return c->status;
  void *io;
  VK(vkMapMemory(c->device, c->mem[2], 0, VK_WHOLE_SIZE, 0, &io), "vkMapMemory");
  c->io = io;
  return 0;
}

/* ------------------------------------------------ descriptors, pipelines */
static int make_pipelines(mlg_vk *c) {
  const mlg_vk_model *m = c->m;
  VkDescriptorSetLayoutBinding b[3];
  memset(b, 0, sizeof b);
  for (uint32_t i = 0; i < 3; i++) {
    b[i].binding = i;
    b[i].descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER;
    b[i].descriptorCount = 1;
    b[i].stageFlags = VK_SHADER_STAGE_COMPUTE_BIT;
  }
  VkDescriptorSetLayoutCreateInfo dl = {.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO};
  dl.bindingCount = 3;
  dl.pBindings = b;
  VK(vkCreateDescriptorSetLayout(c->device, &dl, NULL, &c->set_layout), "vkCreateDescriptorSetLayout");
  VkDescriptorPoolSize ps = {VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, 3};
  VkDescriptorPoolCreateInfo pi = {.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO};
  pi.maxSets = 1;
  pi.poolSizeCount = 1;
  pi.pPoolSizes = &ps;
  VK(vkCreateDescriptorPool(c->device, &pi, NULL, &c->pool), "vkCreateDescriptorPool");
  VkDescriptorSetAllocateInfo ai = {.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO};
  ai.descriptorPool = c->pool;
  ai.descriptorSetCount = 1;
  ai.pSetLayouts = &c->set_layout;
  VK(vkAllocateDescriptorSets(c->device, &ai, &c->set), "vkAllocateDescriptorSets");
  VkDescriptorBufferInfo info[3];
  VkWriteDescriptorSet w[3];
  memset(w, 0, sizeof w);
  for (uint32_t i = 0; i < 3; i++) {
    info[i].buffer = c->buf[i];
    info[i].offset = 0;
    info[i].range = VK_WHOLE_SIZE;
    w[i].sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET;
    w[i].dstSet = c->set;
    w[i].dstBinding = i;
    w[i].descriptorCount = 1;
    w[i].descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER;
    w[i].pBufferInfo = &info[i];
  }
  vkUpdateDescriptorSets(c->device, 3, w, 0, NULL);
  VkPipelineLayoutCreateInfo li = {.sType = VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO};
  li.setLayoutCount = 1;
  li.pSetLayouts = &c->set_layout;
  VK(vkCreatePipelineLayout(c->device, &li, NULL, &c->layout), "vkCreatePipelineLayout");
  for (int k = 0; k < m->nkernels; k++) {
    VkShaderModuleCreateInfo si = {.sType = VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO};
    si.codeSize = (size_t)m->kernels[k].words * 4;
    si.pCode = m->kernels[k].spirv;
    VkShaderModule mod;
    VK(vkCreateShaderModule(c->device, &si, NULL, &mod), "vkCreateShaderModule");
    VkComputePipelineCreateInfo ci = {.sType = VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO};
    ci.stage.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO;
    ci.stage.stage = VK_SHADER_STAGE_COMPUTE_BIT;
    ci.stage.module = mod;
    ci.stage.pName = "main";
    ci.layout = c->layout;
    VkResult r = vkCreateComputePipelines(c->device, VK_NULL_HANDLE, 1, &ci, NULL, &c->pipelines[k]);
    vkDestroyShaderModule(c->device, mod, NULL);
    if (r != VK_SUCCESS) {
      vk_fail(c, r, "vkCreateComputePipelines for kernel ");
      msg_cat(c, m->kernels[k].name);
      return c->status;
    }
  }
  return 0;
}

static int record(mlg_vk *c) {
  const mlg_vk_model *m = c->m;
  VkCommandBufferBeginInfo bi = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
  VK(vkBeginCommandBuffer(c->cmd, &bi), "vkBeginCommandBuffer");
  vkCmdBindDescriptorSets(c->cmd, VK_PIPELINE_BIND_POINT_COMPUTE, c->layout, 0, 1, &c->set, 0, NULL);
  VkMemoryBarrier cc = {VK_STRUCTURE_TYPE_MEMORY_BARRIER, NULL, VK_ACCESS_SHADER_WRITE_BIT,
                        VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT};
  VkMemoryBarrier ch = {VK_STRUCTURE_TYPE_MEMORY_BARRIER, NULL, VK_ACCESS_SHADER_WRITE_BIT, VK_ACCESS_HOST_READ_BIT};
  int dispatched = 0;
  for (int k = 0; k < m->nkernels; k++) {
    const mlg_vk_kernel *kn = &m->kernels[k];
    if (!kn->items) continue;
    if (kn->barrier && dispatched)
      vkCmdPipelineBarrier(c->cmd, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, 0, 1,
                           &cc, 0, NULL, 0, NULL);
    /* 1-D up to maxComputeWorkGroupCount[0], then 2-D; the shaders
     * grid-stride over whatever does not fit */
    uint32_t groups = (kn->items + kn->wg - 1) / kn->wg;
    uint32_t x = groups < c->max_groups[0] ? groups : c->max_groups[0];
    uint32_t y = (groups + x - 1) / x;
    if (y > c->max_groups[1]) y = c->max_groups[1];
    vkCmdBindPipeline(c->cmd, VK_PIPELINE_BIND_POINT_COMPUTE, c->pipelines[k]);
    vkCmdDispatch(c->cmd, x, y, 1);
    dispatched = 1;
  }
  vkCmdPipelineBarrier(c->cmd, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, VK_PIPELINE_STAGE_HOST_BIT, 0, 1, &ch, 0, NULL,
                       0, NULL);
  VK(vkEndCommandBuffer(c->cmd), "vkEndCommandBuffer");
  return 0;
}

static int validation_status(mlg_vk *c) {
  if (!c->validation_messages) return 0;
  c->status = MLG_VK_E_VALIDATION;
  return c->status;
}

/* ----------------------------------------------------------------- API */
int mlg_vk_init(mlg_vk *c, const mlg_vk_model *m, VkPipeline *pipelines, const mlg_vk_adopt *adopt, unsigned flags) {
  if (!c) return MLG_VK_E_ARG;
  memset(c, 0, sizeof *c);
  if (!m || (!pipelines && m->nkernels)) return fail(c, MLG_VK_E_ARG, "mlg_vk_init: NULL model or pipeline storage");
  c->m = m;
  c->pipelines = pipelines;
  for (int k = 0; k < m->nkernels; k++) pipelines[k] = VK_NULL_HANDLE;
  if (adopt) {
    c->instance = adopt->instance;
    c->physical = adopt->physical;
    c->device = adopt->device;
    c->queue = adopt->queue;
    c->queue_family = adopt->queue_family;
    if (!c->instance || !c->physical || !c->device || !c->queue)
      return fail(c, MLG_VK_E_ARG, "mlg_vk_init: incomplete mlg_vk_adopt");
    if (lacks_features(c, c->physical, 1)) return c->status;
  } else {
    if (make_instance(c, flags) || pick_device(c) || make_device(c)) return c->status;
  }
  VkPhysicalDeviceProperties p;
  vkGetPhysicalDeviceProperties(c->physical, &p);
  memcpy(c->device_name, p.deviceName, sizeof c->device_name);
  VkCommandPoolCreateInfo pi = {.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO};
  pi.flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT;
  pi.queueFamilyIndex = c->queue_family;
  VK(vkCreateCommandPool(c->device, &pi, NULL, &c->cmd_pool), "vkCreateCommandPool");
  VkCommandBufferAllocateInfo ai = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO};
  ai.commandPool = c->cmd_pool;
  ai.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
  ai.commandBufferCount = 1;
  VK(vkAllocateCommandBuffers(c->device, &ai, &c->cmd), "vkAllocateCommandBuffers");
  VkFenceCreateInfo fi = {.sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
  VK(vkCreateFence(c->device, &fi, NULL, &c->fence), "vkCreateFence");
  if (make_buffers(c) || make_pipelines(c) || record(c)) return c->status;
  return validation_status(c);
}

void *mlg_vk_input(mlg_vk *c, int i) {
  if (!c || !c->io || i < 0 || i >= c->m->ninputs) return NULL;
  return c->io + c->m->inputs[i].offset;
}

const void *mlg_vk_output(mlg_vk *c, int i) {
  if (!c || !c->io || i < 0 || i >= c->m->noutputs) return NULL;
  return c->io + c->m->outputs[i].offset;
}

int mlg_vk_submit(mlg_vk *c) {
  if (!c || !c->cmd || !c->io) return MLG_VK_E_ARG;
  if (one_time_submit(c)) return c->status;
  return validation_status(c);
}

int mlg_vk_run(mlg_vk *c, const void *const *inputs, void *const *outputs) {
  if (!c || !c->cmd || !c->io) return MLG_VK_E_ARG;
  const mlg_vk_model *m = c->m;
  if ((m->ninputs && !inputs) || (m->noutputs && !outputs)) return fail(c, MLG_VK_E_ARG, "mlg_vk_run: NULL array");
  for (int i = 0; i < m->ninputs; i++) {
    if (!inputs[i]) return fail(c, MLG_VK_E_ARG, "mlg_vk_run: NULL input");
    memcpy(c->io + m->inputs[i].offset, inputs[i], (size_t)m->inputs[i].bytes);
  }
  if (mlg_vk_submit(c)) return c->status;
  for (int i = 0; i < m->nchecks; i++)
    if (!c->io[m->checks[i]]) return fail(c, MLG_VK_E_VALUE, "mlg_vk_run: a value given at run time disagrees with the shapes the model was built for");
  for (int i = 0; i < m->noutputs; i++) {
    if (!outputs[i]) return fail(c, MLG_VK_E_ARG, "mlg_vk_run: NULL output");
    memcpy(outputs[i], c->io + m->outputs[i].offset, (size_t)m->outputs[i].bytes);
  }
  return 0;
}

const char *mlg_vk_error(const mlg_vk *c) {
  if (!c) return "NULL context";
  return c->status || c->validation_messages ? c->msg : "";
}

void mlg_vk_destroy(mlg_vk *c) {
  if (!c || !c->m) return;
  if (c->device) {
    vkDeviceWaitIdle(c->device);
    for (int k = 0; k < c->m->nkernels; k++)
      if (c->pipelines && c->pipelines[k]) vkDestroyPipeline(c->device, c->pipelines[k], NULL);
    if (c->layout) vkDestroyPipelineLayout(c->device, c->layout, NULL);
    if (c->pool) vkDestroyDescriptorPool(c->device, c->pool, NULL);
    if (c->set_layout) vkDestroyDescriptorSetLayout(c->device, c->set_layout, NULL);
    if (c->fence) vkDestroyFence(c->device, c->fence, NULL);
    if (c->cmd_pool) vkDestroyCommandPool(c->device, c->cmd_pool, NULL);
    if (c->io) vkUnmapMemory(c->device, c->mem[2]);
    for (int i = 0; i < 3; i++) {
      if (c->buf[i]) vkDestroyBuffer(c->device, c->buf[i], NULL);
      if (c->mem[i]) vkFreeMemory(c->device, c->mem[i], NULL);
    }
    if (c->own_device) vkDestroyDevice(c->device, NULL);
  }
  if (c->messenger) {
    PFN_vkDestroyDebugUtilsMessengerEXT rm =
        (PFN_vkDestroyDebugUtilsMessengerEXT)vkGetInstanceProcAddr(c->instance, "vkDestroyDebugUtilsMessengerEXT");
    if (rm) rm(c->instance, c->messenger, NULL);
  }
  if (c->own_instance && c->instance) vkDestroyInstance(c->instance, NULL);
  c->m = NULL;
  c->io = NULL;
  c->cmd = VK_NULL_HANDLE;
}
