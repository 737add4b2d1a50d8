# mlgen.cmake: CMake integration.
#
#   find_package(mlgen REQUIRED)
#   mlgen_add_model(digits_model MODEL model/digits.yaml [NAME digits]
#                   [OPTIONS --input-shape x=1x64 ...] [DEPENDS extra files])
#   target_link_libraries(app PRIVATE digits_model)
#
# Regenerates the C code whenever the model, a file next to it (weights) or
# mlgen itself changes, and builds it as a static library whose include
# directory holds <NAME>.h.
function(mlgen_add_model target)
  cmake_parse_arguments(M "" "MODEL;NAME" "OPTIONS;DEPENDS" ${ARGN})
  if(NOT M_MODEL)
    message(FATAL_ERROR "mlgen_add_model(${target}): MODEL is required")
  endif()
  if(NOT MLGEN_EXECUTABLE)
    message(FATAL_ERROR "mlgen_add_model: MLGEN_EXECUTABLE is not set (use find_package(mlgen))")
  endif()
  get_filename_component(model "${M_MODEL}" ABSOLUTE)
  get_filename_component(model_dir "${model}" DIRECTORY)
  set(name "${M_NAME}")
  if(NOT name)
    set(name "${target}")
  endif()
  file(GLOB_RECURSE model_files "${model_dir}/*.npy" "${model_dir}/*.onnx" "${model_dir}/*.json" "${model_dir}/*.txt")
  set(out "${CMAKE_CURRENT_BINARY_DIR}/${target}_mlgen")
  add_custom_command(
    OUTPUT "${out}/${name}.c" "${out}/${name}_weights.c" "${out}/${name}.h"
    COMMAND "${MLGEN_EXECUTABLE}" build "${model}" -o "${out}" --name "${name}" ${M_OPTIONS}
    DEPENDS "${model}" ${model_files} ${M_DEPENDS} "${MLGEN_EXECUTABLE}"
    COMMENT "mlgen: compiling ${M_MODEL}"
    VERBATIM)
  add_library(${target} STATIC "${out}/${name}.c" "${out}/${name}_weights.c" "${out}/${name}.h")
  target_include_directories(${target} PUBLIC "${out}")
  target_link_libraries(${target} PUBLIC m)
endfunction()
