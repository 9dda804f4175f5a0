# cmake -P fixture: installs the build tree into STAGE, then moves it to PREFIX so the consumer
# tests prove the package relocatable. Fails when an installed file is missing or when the
# package files still name the build tree, the source tree or the staging prefix.
# Inputs (-D): BUILD_DIR, CONFIG, STAGE, PREFIX, SOURCE_DIR.
cmake_minimum_required(VERSION 3.16)

file(REMOVE_RECURSE "${STAGE}" "${PREFIX}")
set(config_args "")
if(CONFIG)
  set(config_args --config "${CONFIG}")
endif()
execute_process(
  COMMAND "${CMAKE_COMMAND}" --install "${BUILD_DIR}" --prefix "${STAGE}" ${config_args}
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "cmake --install failed (${rc}):\n${out}\n${err}")
endif()
file(RENAME "${STAGE}" "${PREFIX}")

foreach(pattern
    include/handover/core/version.hpp
    include/handover/client/client.hpp
    include/handover/core/result.hpp
    lib*/cmake/handover/handover-config.cmake
    lib*/cmake/handover/handover-config-version.cmake
    lib*/cmake/handover/handover-targets.cmake
    lib*/pkgconfig/handover.pc
    share/doc/handover/LICENSE
    lib*/libhandover*)
  file(GLOB_RECURSE found "${PREFIX}/${pattern}")
  if(NOT found)
    message(FATAL_ERROR "the install lacks ${pattern}")
  endif()
endforeach()
# The emulator component, when the build has it (a top-level build does).
if(EXISTS "${BUILD_DIR}/src/emulator")
  set(emulator_patterns
    bin/handover
    include/handover/emulator/emulator.hpp
    lib*/cmake/handover/handover-emulator-targets.cmake
    lib*/pkgconfig/handover-emulator.pc
    lib*/libhandover_emulator*)
else()
  set(emulator_patterns "")
endif()
foreach(pattern IN LISTS emulator_patterns)
  file(GLOB_RECURSE found "${PREFIX}/${pattern}")
  if(NOT found)
    message(FATAL_ERROR "the install lacks ${pattern}")
  endif()
endforeach()

file(GLOB_RECURSE package_files "${PREFIX}/*.cmake" "${PREFIX}/*.pc")
foreach(file IN LISTS package_files)
  file(READ "${file}" text)
  foreach(forbidden "${BUILD_DIR}" "${SOURCE_DIR}" "${STAGE}")
    string(FIND "${text}" "${forbidden}" at)
    if(NOT at EQUAL -1)
      message(FATAL_ERROR "${file} names '${forbidden}': the package is not relocatable")
    endif()
  endforeach()
endforeach()
message(STATUS "installed and relocated to ${PREFIX}")
