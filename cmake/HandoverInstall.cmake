# Install rules and the relocatable package: exported handover::handover, handover-config.cmake
# with its version file, and handover.pc. Included last from the root CMakeLists.txt, so every
# area has already added its sources and links to the `handover` target.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(HANDOVER_INSTALL_CMAKEDIR "${CMAKE_INSTALL_LIBDIR}/cmake/handover"
    CACHE STRING "Where handover-config.cmake is installed, relative to the prefix")
set(HANDOVER_INSTALL_PKGCONFIGDIR "${CMAKE_INSTALL_LIBDIR}/pkgconfig"
    CACHE STRING "Where handover.pc is installed, relative to the prefix")

# Header-only helpers linked PRIVATE (RapidJSON) must stay out of the export: a static library
# would otherwise export `$<LINK_ONLY:handover_rapidjson>`, a target consumers cannot have and
# do not need. Fail here, with the fix, rather than with CMake's message in static builds only.
get_target_property(_handover_links handover LINK_LIBRARIES)
foreach(_lib IN LISTS _handover_links)
  if(_lib STREQUAL "handover_rapidjson" OR _lib STREQUAL "handover_httplib")
    message(FATAL_ERROR "handover links ${_lib} directly; link "
                        "$<BUILD_INTERFACE:${_lib}> so the installed package does not need it")
  endif()
endforeach()

install(TARGETS handover
  EXPORT handover-targets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT handover_development
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT handover_runtime
          NAMELINK_COMPONENT handover_development
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT handover_runtime
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})

# The emulator's headers go with its library (component `emulator`), the Redis headers with
# theirs (component `redis`).
set(_handover_header_excludes "")
if(NOT TARGET handover_emulator)
  list(APPEND _handover_header_excludes PATTERN "emulator" EXCLUDE)
endif()
if(NOT TARGET handover_redis)
  list(APPEND _handover_header_excludes PATTERN "redis_store.hpp" EXCLUDE
    PATTERN "redis_stream_queue.hpp" EXCLUDE)
endif()
install(DIRECTORY "${PROJECT_SOURCE_DIR}/include/handover"
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
  COMPONENT handover_development
  FILES_MATCHING PATTERN "*.hpp"
  ${_handover_header_excludes})

install(EXPORT handover-targets
  NAMESPACE handover::
  FILE handover-targets.cmake
  DESTINATION ${HANDOVER_INSTALL_CMAKEDIR}
  COMPONENT handover_development)

# A static handover needs its private dependencies at the consumer's link step; a shared one
# carries them itself, so its consumers need only Threads (a PUBLIC dependency).
get_target_property(_handover_type handover TYPE)
if(_handover_type STREQUAL "STATIC_LIBRARY")
  set(HANDOVER_STATIC ON)
  set(HANDOVER_PC_REQUIRES "libcurl libcrypto")
  set(HANDOVER_PC_REQUIRES_PRIVATE "")
else()
  set(HANDOVER_STATIC OFF)
  set(HANDOVER_PC_REQUIRES "")
  set(HANDOVER_PC_REQUIRES_PRIVATE "libcurl libcrypto")
endif()

# Optional component `redis` (handover::redis, the tracker's RedisStore over hiredis), in its own
# export set so that only `find_package(handover COMPONENTS redis)` needs hiredis.
set(HANDOVER_COMPONENTS "")
if(TARGET handover_redis)
  list(APPEND HANDOVER_COMPONENTS redis)
  set_target_properties(handover_redis PROPERTIES EXPORT_NAME redis)
  # A shared libhandover_redis finds libhandover beside it, wherever the prefix was moved to.
  if(NOT APPLE AND NOT WIN32)
    set_property(TARGET handover_redis APPEND PROPERTY INSTALL_RPATH "$ORIGIN")
  endif()
  install(TARGETS handover_redis
    EXPORT handover-redis-targets
    ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT handover_development
    LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT handover_runtime
            NAMELINK_COMPONENT handover_development
    RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT handover_runtime
    INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
  install(EXPORT handover-redis-targets
    NAMESPACE handover::
    FILE handover-redis-targets.cmake
    DESTINATION ${HANDOVER_INSTALL_CMAKEDIR}
    COMPONENT handover_development)
  get_target_property(_redis_type handover_redis TYPE)
  if(_redis_type STREQUAL "STATIC_LIBRARY")
    set(HANDOVER_REDIS_STATIC ON)
    set(HANDOVER_REDIS_PC_REQUIRES "handover hiredis")
    set(HANDOVER_REDIS_PC_REQUIRES_PRIVATE "")
  else()
    set(HANDOVER_REDIS_STATIC OFF)
    set(HANDOVER_REDIS_PC_REQUIRES "handover")
    set(HANDOVER_REDIS_PC_REQUIRES_PRIVATE "hiredis")
  endif()
endif()

# Optional component `emulator` (handover::emulator, the local Messenger Platform; the `handover`
# CLI is installed beside it by src/cli). Its own export set: only `COMPONENTS emulator` needs
# cpp-httplib, and only when the library is static.
if(TARGET handover_emulator)
  list(APPEND HANDOVER_COMPONENTS emulator)
  if(NOT APPLE AND NOT WIN32)
    set_property(TARGET handover_emulator APPEND PROPERTY INSTALL_RPATH "$ORIGIN")
  endif()
  install(TARGETS handover_emulator
    EXPORT handover-emulator-targets
    ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT handover_development
    LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT handover_runtime
            NAMELINK_COMPONENT handover_development
    RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT handover_runtime
    INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
  install(EXPORT handover-emulator-targets
    NAMESPACE handover::
    FILE handover-emulator-targets.cmake
    DESTINATION ${HANDOVER_INSTALL_CMAKEDIR}
    COMPONENT handover_development)
  get_target_property(_emulator_type handover_emulator TYPE)
  if(_emulator_type STREQUAL "STATIC_LIBRARY")
    set(HANDOVER_EMULATOR_STATIC ON)
    set(HANDOVER_EMULATOR_PC_REQUIRES "handover cpp-httplib libcrypto")
    set(HANDOVER_EMULATOR_PC_REQUIRES_PRIVATE "")
  else()
    set(HANDOVER_EMULATOR_STATIC OFF)
    set(HANDOVER_EMULATOR_PC_REQUIRES "handover")
    set(HANDOVER_EMULATOR_PC_REQUIRES_PRIVATE "cpp-httplib libcrypto")
  endif()
endif()

# Optional header-only components `httplib` and `beast` (the Endpoint adapters): each brings
# its framework's dependency only to those who ask for it.
foreach(_adapter httplib beast)
  if(TARGET handover_${_adapter}_adapter)
    list(APPEND HANDOVER_COMPONENTS ${_adapter})
    install(TARGETS handover_${_adapter}_adapter EXPORT handover-${_adapter}-targets)
    install(EXPORT handover-${_adapter}-targets
      NAMESPACE handover::
      FILE handover-${_adapter}-targets.cmake
      DESTINATION ${HANDOVER_INSTALL_CMAKEDIR}
      COMPONENT handover_development)
  endif()
endforeach()

configure_package_config_file(
  "${CMAKE_CURRENT_LIST_DIR}/handover-config.cmake.in"
  "${PROJECT_BINARY_DIR}/handover-config.cmake"
  INSTALL_DESTINATION ${HANDOVER_INSTALL_CMAKEDIR})
write_basic_package_version_file(
  "${PROJECT_BINARY_DIR}/handover-config-version.cmake"
  VERSION ${PROJECT_VERSION}
  COMPATIBILITY SameMajorVersion)
# The MIT license travels with every installed copy.
install(FILES "${PROJECT_SOURCE_DIR}/LICENSE"
  DESTINATION ${CMAKE_INSTALL_DOCDIR}
  COMPONENT handover_development)
install(FILES
  "${PROJECT_BINARY_DIR}/handover-config.cmake"
  "${PROJECT_BINARY_DIR}/handover-config-version.cmake"
  DESTINATION ${HANDOVER_INSTALL_CMAKEDIR}
  COMPONENT handover_development)

# handover.pc finds its prefix from its own location (${pcfiledir}), so the tree can be moved.
file(RELATIVE_PATH HANDOVER_PC_TO_PREFIX
  "/prefix/${HANDOVER_INSTALL_PKGCONFIGDIR}" "/prefix")
string(REGEX REPLACE "/$" "" HANDOVER_PC_TO_PREFIX "${HANDOVER_PC_TO_PREFIX}")
foreach(_dir LIBDIR INCLUDEDIR)
  if(IS_ABSOLUTE "${CMAKE_INSTALL_${_dir}}")
    set(HANDOVER_PC_${_dir} "${CMAKE_INSTALL_${_dir}}")
  else()
    set(HANDOVER_PC_${_dir} "\${prefix}/${CMAKE_INSTALL_${_dir}}")
  endif()
endforeach()
configure_file("${CMAKE_CURRENT_LIST_DIR}/handover.pc.in" "${PROJECT_BINARY_DIR}/handover.pc" @ONLY)
set(_handover_pc_files "${PROJECT_BINARY_DIR}/handover.pc")
if(TARGET handover_redis)
  configure_file("${CMAKE_CURRENT_LIST_DIR}/handover-redis.pc.in"
                 "${PROJECT_BINARY_DIR}/handover-redis.pc" @ONLY)
  list(APPEND _handover_pc_files "${PROJECT_BINARY_DIR}/handover-redis.pc")
endif()
if(TARGET handover_emulator)
  configure_file("${CMAKE_CURRENT_LIST_DIR}/handover-emulator.pc.in"
                 "${PROJECT_BINARY_DIR}/handover-emulator.pc" @ONLY)
  list(APPEND _handover_pc_files "${PROJECT_BINARY_DIR}/handover-emulator.pc")
endif()
install(FILES ${_handover_pc_files}
  DESTINATION ${HANDOVER_INSTALL_PKGCONFIGDIR}
  COMPONENT handover_development)
