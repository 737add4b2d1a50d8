# toolchain-arm-none-eabi.cmake: CMake toolchain file for a bare-metal
# Cortex-M build with arm-none-eabi-gcc (Debian gcc-arm-none-eabi,
# libnewlib-arm-none-eabi). MLGEN_FW_CPU picks the core:
#   cortex-m4 (default)  -mcpu=cortex-m4 -mfloat-abi=hard -mfpu=fpv4-sp-d16 (qemu -M mps2-an386)
#   cortex-m3            -mcpu=cortex-m3 -mfloat-abi=soft                  (qemu -M mps2-an385)
# MLGEN_FW_OPT (default -O2) is the optimization level, so the build is
# the one `mlgen build --report` predicts (cortex-m4-O2, cortex-m3-Os, ...).
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR arm)
set(CMAKE_C_COMPILER arm-none-eabi-gcc)
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY) # no start-up code yet when CMake tests the compiler
set(MLGEN_FW_CPU cortex-m4 CACHE STRING "cortex-m4 or cortex-m3")
set(MLGEN_FW_OPT -O2 CACHE STRING "optimization flag")
if(MLGEN_FW_CPU STREQUAL "cortex-m4")
  set(fw_arch "-mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16")
elseif(MLGEN_FW_CPU STREQUAL "cortex-m3")
  set(fw_arch "-mcpu=cortex-m3 -mthumb -mfloat-abi=soft")
else()
  message(FATAL_ERROR "MLGEN_FW_CPU must be cortex-m4 or cortex-m3, not '${MLGEN_FW_CPU}'")
endif()
set(CMAKE_C_FLAGS_INIT "${fw_arch} ${MLGEN_FW_OPT}")
set(CMAKE_EXE_LINKER_FLAGS_INIT "${fw_arch} -nostartfiles --specs=nano.specs --specs=rdimon.specs -Wl,--gc-sections,-z,noexecstack")
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
