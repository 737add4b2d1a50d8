# vulkan.cmake: the Vulkan backend, library mlgen_vulkan (included by the
# top-level CMakeLists.txt). codegen/glsl.c and vulkan.c are plain C; the
# GLSL -> SPIR-V step (codegen/spirv.c + spirv_opt.cc) needs Debian's
# glslang-dev and spirv-tools, which are static C++ libraries: hence CXX,
# and Threads before glslang (its CMake config forgets it). Without them
# mlgen builds, and `--backend vulkan` says why it cannot.
find_package(Threads)
find_package(glslang CONFIG QUIET)
find_package(SPIRV-Tools-opt CONFIG QUIET)

set(MLG_EMBED_VK ${CMAKE_BINARY_DIR}/embed_vulkan.c)
add_custom_command(
  OUTPUT ${MLG_EMBED_VK}
  COMMAND ${CMAKE_COMMAND} -DOUT=${MLG_EMBED_VK} -DSYM=mlg_runtime_vulkan
          -DDIR=${CMAKE_SOURCE_DIR}/runtime-min/vulkan -DFILES=mlg_vk.h,mlg_vk.c
          -DHDR=${CMAKE_SOURCE_DIR}/codegen/vulkan.h -P ${CMAKE_SOURCE_DIR}/cmake/embed.cmake
  DEPENDS ${CMAKE_SOURCE_DIR}/runtime-min/vulkan/mlg_vk.h ${CMAKE_SOURCE_DIR}/runtime-min/vulkan/mlg_vk.c
          ${CMAKE_SOURCE_DIR}/cmake/embed.cmake
  COMMENT "embedding runtime-min/vulkan")

add_library(mlgen_vulkan STATIC codegen/glsl.c codegen/glsl_lib.c codegen/vk_layout.c codegen/vulkan.c ${MLG_EMBED_VK})
target_link_libraries(mlgen_vulkan PUBLIC mlgen_ir)
if(glslang_FOUND AND TARGET SPIRV-Tools-opt AND TARGET SPIRV-Tools-static AND Threads_FOUND)
  enable_language(CXX)
  target_sources(mlgen_vulkan PRIVATE codegen/spirv.c codegen/spirv_opt.cc)
  target_compile_definitions(mlgen_vulkan PRIVATE MLGEN_HAVE_SPIRV)
  target_link_libraries(mlgen_vulkan PRIVATE glslang::glslang glslang::SPIRV
                        glslang::glslang-default-resource-limits SPIRV-Tools-opt SPIRV-Tools-static Threads::Threads)
  set(MLGEN_HAVE_SPIRV ON)
else()
  message(STATUS "mlgen: glslang/SPIRV-Tools not found: building without the vulkan backend")
  set(MLGEN_HAVE_SPIRV OFF)
endif()
