/* startup.c: a minimal Cortex-M reset handler for the firmware tests:
 * vector table, FPU on (Cortex-M4F; a soft-float build has none), .data
 * copied, .bss zeroed, semihosting set up. */
#include <stdint.h>
#include <string.h>

extern uint32_t _sidata, _sdata, _edata, _sbss, _ebss, _stack_top;
extern int main(void);
extern void initialise_monitor_handles(void);
extern void exit(int);

void reset_handler(void);
static void fault(void) {
  for (;;) {
  }
}

__attribute__((section(".vectors"), used)) static const void *const vectors[16] = {
    &_stack_top, (void *)reset_handler, (void *)fault, (void *)fault, (void *)fault, (void *)fault, (void *)fault,
};

void _init(void) {}
void _fini(void) {}

void reset_handler(void) {
#ifdef __ARM_FP
  volatile uint32_t *cpacr = (volatile uint32_t *)0xE000ED88u;
  *cpacr |= 0xFu << 20; /* CP10, CP11: full access to the FPU */
  __asm volatile("dsb\n isb");
#endif
  memcpy(&_sdata, &_sidata, (size_t)((char *)&_edata - (char *)&_sdata));
  memset(&_sbss, 0, (size_t)((char *)&_ebss - (char *)&_sbss));
  initialise_monitor_handles();
  exit(main());
}
