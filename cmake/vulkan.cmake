# vulkan.cmake: the Vulkan backend, library mlgen_vulkan (included by the
# top-level CMakeLists.txt). codegen/glsl.c and vulkan.c are plain C; the
# GLSL -> SPIR-V step (codegen/spirv.c + spirv_opt.cc) needs Debian's
# glslang-dev and spirv-tools, which are static C++ libraries: hence CXX,
# and Threads before glslang (its CMake config forgets it). Without them
# mlgen builds, and `--backend vulkan` says why it cannot.
find_package(Threads)
find_package(glslang CONFIG QUIET)
find_package(SPIRV-Tools-opt CONFIG QUIET)

include(${CMAKE_CURRENT_LIST_DIR}/embed.cmake)
mlg_embed_files(${CMAKE_BINARY_DIR}/embed_vulkan.c mlg_runtime_vulkan ${CMAKE_SOURCE_DIR}/runtime-min/vulkan
                "mlg_vk.h;mlg_vk.c" ${CMAKE_SOURCE_DIR}/codegen/vulkan.h)
# glsl_helpers[] from templates/glsl_lib.glsl
mlg_embed_helpers(${CMAKE_BINARY_DIR}/embed_glsl_lib.c ${CMAKE_SOURCE_DIR}/templates/glsl_lib.glsl
                  ${CMAKE_SOURCE_DIR}/codegen/vulkan.h)

add_library(mlgen_vulkan STATIC codegen/glsl.c codegen/glsl_shader.c codegen/vulkan.c
            ${CMAKE_BINARY_DIR}/embed_vulkan.c ${CMAKE_BINARY_DIR}/embed_glsl_lib.c)
target_link_libraries(mlgen_vulkan PUBLIC mlgen_codegen mlgen_ir)
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
