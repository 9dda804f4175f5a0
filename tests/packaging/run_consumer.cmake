# cmake -P driver: configure, build and run tests/packaging/consumer in one mode.
# Inputs (-D): MODE, CONSUMER_DIR, WORK_DIR, HANDOVER_SOURCE_DIR, PREFIX (find_package),
# EXPECTED_VERSION, CXX_COMPILER, GENERATOR, MAKE_PROGRAM, SHARED, JOBS, CONSUMER_FLAGS (the
# sanitizer flags of a sanitized library, for compiling and linking the consumer; may be empty).
cmake_minimum_required(VERSION 3.16)

function(run what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${what} failed (${rc}):\n${out}\n${err}")
  endif()
  set(last_output "${out}" PARENT_SCOPE)
endfunction()

file(REMOVE_RECURSE "${WORK_DIR}")
set(args
  -S "${CONSUMER_DIR}" -B "${WORK_DIR}" -G "${GENERATOR}"
  "-DCMAKE_CXX_COMPILER=${CXX_COMPILER}"
  "-DHANDOVER_CONSUMER_MODE=${MODE}"
  "-DHANDOVER_EXPECTED_VERSION=${EXPECTED_VERSION}"
  "-DHANDOVER_SOURCE_DIR=${HANDOVER_SOURCE_DIR}"
  "-DBUILD_SHARED_LIBS=${SHARED}"
  # An unoptimised build without debug info compiles the library fastest.
  -DCMAKE_BUILD_TYPE=
  -DFETCHCONTENT_FULLY_DISCONNECTED=ON)
if(CONSUMER_FLAGS)
  list(APPEND args "-DCMAKE_CXX_FLAGS=${CONSUMER_FLAGS}" "-DCMAKE_EXE_LINKER_FLAGS=${CONSUMER_FLAGS}")
endif()
if(MAKE_PROGRAM)
  list(APPEND args "-DCMAKE_MAKE_PROGRAM=${MAKE_PROGRAM}")
endif()
if(MODE STREQUAL "find_package")
  list(APPEND args "-DCMAKE_PREFIX_PATH=${PREFIX}")
endif()
run("configure (${MODE})" "${CMAKE_COMMAND}" ${args})
# FetchContent hands the consumer the same add_subdirectory build that the subdirectory mode
# compiles and runs: what it adds is the fetch and the configure, so it stops there.
if(MODE STREQUAL "fetchcontent")
  message(STATUS "fetchcontent: configured (the build is the subdirectory mode's)")
  return()
endif()
run("build (${MODE})" "${CMAKE_COMMAND}" --build "${WORK_DIR}" --parallel ${JOBS})
run("run (${MODE})" "${WORK_DIR}/consumer")
message(STATUS "${last_output}")
if(NOT last_output MATCHES "consumer ok: handover ${EXPECTED_VERSION}")
  message(FATAL_ERROR "unexpected consumer output: ${last_output}")
endif()
if(EXISTS "${WORK_DIR}/redis_consumer")
  run("run redis_consumer (${MODE})" "${WORK_DIR}/redis_consumer")
  message(STATUS "${last_output}")
endif()
if(EXISTS "${WORK_DIR}/emulator_consumer")
  run("run emulator_consumer (${MODE})" "${WORK_DIR}/emulator_consumer")
  message(STATUS "${last_output}")
  if(NOT last_output MATCHES "emulator consumer ok")
    message(FATAL_ERROR "unexpected emulator consumer output: ${last_output}")
  endif()
endif()
if(EXISTS "${WORK_DIR}/adapters_consumer")
  run("run adapters_consumer (${MODE})" "${WORK_DIR}/adapters_consumer")
  message(STATUS "${last_output}")
  if(NOT last_output MATCHES "adapters consumer ok")
    message(FATAL_ERROR "unexpected adapters consumer output: ${last_output}")
  endif()
endif()
