/* validation.c: the runtime's validation messenger really fails a run.
 *
 * Built against any generated vulkan/ folder (-DMODEL=<name>_vk_model,
 * at most 256 kernels): initializes with MLG_VK_VALIDATION, makes
 * one invalid Vulkan call on the runtime's own device (a buffer with no
 * usage bits: VUID-VkBufferCreateInfo-usage-requiredbitmask), and expects
 * the next submit to return MLG_VK_E_VALIDATION with the layer's text.
 * Exit 0 when it does, 1 when the message went unnoticed, 77 without a
 * device or layer. */
#include <stdio.h>
#include <string.h>

#include "mlg_vk.h"

extern const mlg_vk_model MODEL;

int main(void) {
  static mlg_vk c;
  static VkPipeline pipes[256];
  if (MODEL.nkernels > 256) return printf("too many kernels\n"), 1;
  int rc = mlg_vk_init(&c, &MODEL, pipes, NULL, MLG_VK_VALIDATION);
  if (rc == MLG_VK_E_NO_DEVICE || rc == MLG_VK_E_LAYER) return printf("skipped: %s\n", mlg_vk_error(&c)), 77;
  if (rc) return printf("init failed: %s\n", mlg_vk_error(&c)), 1;
  if (mlg_vk_submit(&c)) return printf("clean submit failed: %s\n", mlg_vk_error(&c)), 1;
  VkBufferCreateInfo bi;
  memset(&bi, 0, sizeof bi);
  bi.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO;
  bi.size = 16;
  bi.usage = 0; /* invalid */
  bi.sharingMode = VK_SHARING_MODE_EXCLUSIVE;
  VkBuffer b = VK_NULL_HANDLE;
  if (vkCreateBuffer(c.device, &bi, NULL, &b) == VK_SUCCESS && b) vkDestroyBuffer(c.device, b, NULL);
  rc = mlg_vk_submit(&c);
  printf("after an invalid call: status %d, %d message(s): %.120s\n", rc, c.validation_messages, mlg_vk_error(&c));
  mlg_vk_destroy(&c);
  return rc == MLG_VK_E_VALIDATION && strstr(c.msg, "VUID") ? 0 : 1;
}
