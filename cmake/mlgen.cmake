# mlgen.cmake: CMake integration (docs/c-api.md, docs/firmware.md).
#
#   find_package(mlgen REQUIRED)
#   mlgen_add_model(<target> MODEL model/digits.yaml [NAME digits]
#                   [BACKENDS c vulkan webgpu metal]   default: c
#                   [WEIGHTS_SEPARATE]                 the float weights as <name>_weights.bin
#                   [EMIT obj] [TARGET cortex-m4]      an object from mlgen's LLVM renderer
#                   [OPTIONS --input-shape x=1x64 ...] [DEPENDS extra files])
#   target_link_libraries(app PRIVATE <target>)
#
# mlgen writes a depfile (mlgen build --depfile): the folder is regenerated
# when the model, any file it read (YAML `file:` weights, ONNX external data,
# a wrapped tree model, --freeze tensors) or mlgen itself changes.
# <target> is a static library of the C target (or of the EMIT obj object)
# whose include directory holds <name>.h. Variables set in the caller's scope:
#   <target>_MLGEN_DIR       the generated folder (vulkan/ webgpu/ metal/ are in it)
#   <target>_WEIGHTS_BLOB    with WEIGHTS_SEPARATE, the path of <name>_weights.bin
# With vulkan in BACKENDS, <target>_vulkan is a static library of vulkan/
# (it needs find_package(Vulkan)).
function(mlgen_add_model target)
  cmake_parse_arguments(M "WEIGHTS_SEPARATE" "MODEL;NAME;EMIT;TARGET" "OPTIONS;DEPENDS;BACKENDS" ${ARGN})
  if(NOT M_MODEL)
    message(FATAL_ERROR "mlgen_add_model(${target}): MODEL is required")
  endif()
  if(M_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "mlgen_add_model(${target}): unknown arguments: ${M_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT MLGEN_EXECUTABLE)
    message(FATAL_ERROR "mlgen_add_model: MLGEN_EXECUTABLE is not set (use find_package(mlgen))")
  endif()
  if(M_EMIT AND NOT M_EMIT STREQUAL "obj")
    message(FATAL_ERROR "mlgen_add_model(${target}): EMIT takes obj, not '${M_EMIT}'")
  endif()
  if(M_TARGET AND NOT M_EMIT)
    message(FATAL_ERROR "mlgen_add_model(${target}): TARGET ${M_TARGET} needs EMIT obj (the C target is portable)")
  endif()
  get_filename_component(model "${M_MODEL}" ABSOLUTE)
  set(name "${M_NAME}")
  if(NOT name)
    set(name "${target}")
  endif()
  set(backends ${M_BACKENDS})
  if(NOT backends)
    set(backends c)
  endif()
  set(out "${CMAKE_CURRENT_BINARY_DIR}/${target}_mlgen")
  set(args build "${model}" -o "${out}" --name "${name}" --depfile "${out}.d")
  set(outputs "${out}/manifest.json")
  set(sources "")
  if(M_EMIT)
    # mlgen's LLVM renderer: <name>.o for the target, with the C target's header
    list(APPEND args --emit obj)
    if(M_TARGET)
      list(APPEND args --target "${M_TARGET}")
    endif()
    list(APPEND outputs "${out}/${name}.h" "${out}/${name}.o")
    list(APPEND sources "${out}/${name}.o")
  else()
    string(REPLACE ";" "," blist "${backends}")
    list(APPEND args --backend "${blist}")
    if("c" IN_LIST backends)
      list(APPEND outputs "${out}/${name}.h" "${out}/${name}.c")
      list(APPEND sources "${out}/${name}.c")
      if(M_WEIGHTS_SEPARATE)
        list(APPEND outputs "${out}/${name}_weights.bin")
      else()
        list(APPEND outputs "${out}/${name}_weights.c")
        list(APPEND sources "${out}/${name}_weights.c")
      endif()
    endif()
    if("vulkan" IN_LIST backends)
      list(APPEND outputs "${out}/vulkan/${name}_vk.c" "${out}/vulkan/mlg_vk.c" "${out}/vulkan/${name}_vk.h")
    endif()
  endif()
  if(M_WEIGHTS_SEPARATE)
    list(APPEND args --weights-separate)
    set(${target}_WEIGHTS_BLOB "${out}/${name}_weights.bin" PARENT_SCOPE)
  endif()
  add_custom_command(
    OUTPUT ${outputs}
    COMMAND "${MLGEN_EXECUTABLE}" ${args} ${M_OPTIONS}
    DEPENDS "${model}" ${M_DEPENDS} "${MLGEN_EXECUTABLE}"
    DEPFILE "${out}.d"
    COMMENT "mlgen: compiling ${M_MODEL}"
    VERBATIM)
  set(${target}_MLGEN_DIR "${out}" PARENT_SCOPE)
  if(sources)
    add_library(${target} STATIC ${sources} "${out}/${name}.h")
    set_target_properties(${target} PROPERTIES LINKER_LANGUAGE C) # EMIT obj: an object, no C source
    target_include_directories(${target} PUBLIC "${out}")
    target_link_libraries(${target} PUBLIC m)
  else()
    add_custom_target(${target} ALL DEPENDS ${outputs})
  endif()
  if("vulkan" IN_LIST backends AND NOT M_EMIT)
    add_library(${target}_vulkan STATIC "${out}/vulkan/${name}_vk.c" "${out}/vulkan/mlg_vk.c")
    target_include_directories(${target}_vulkan PUBLIC "${out}/vulkan")
    target_link_libraries(${target}_vulkan PUBLIC Vulkan::Vulkan)
  endif()
endfunction()
