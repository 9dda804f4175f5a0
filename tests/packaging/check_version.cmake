# cmake -P check: include/handover/core/version.hpp and vcpkg.json must carry
# project(handover VERSION ...) (conanfile.py reads it from CMakeLists.txt itself).
# Inputs (-D): HEADER, VCPKG_JSON, VERSION.
cmake_minimum_required(VERSION 3.19)
file(READ "${HEADER}" text)
string(REPLACE "." ";" parts "${VERSION}")
list(GET parts 0 major)
list(GET parts 1 minor)
list(GET parts 2 patch)
foreach(expected
    "#define HANDOVER_VERSION_MAJOR ${major}\n"
    "#define HANDOVER_VERSION_MINOR ${minor}\n"
    "#define HANDOVER_VERSION_PATCH ${patch}\n"
    "#define HANDOVER_VERSION_STRING \"${VERSION}\"\n")
  string(FIND "${text}" "${expected}" at)
  if(at EQUAL -1)
    string(STRIP "${expected}" expected)
    message(FATAL_ERROR "${HEADER} lacks '${expected}' (project version ${VERSION}); "
                        "update the header together with project(VERSION)")
  endif()
endforeach()
file(READ "${VCPKG_JSON}" manifest)
string(JSON vcpkg_version GET "${manifest}" version-semver)
if(NOT vcpkg_version STREQUAL VERSION)
  message(FATAL_ERROR "${VCPKG_JSON} has version ${vcpkg_version}, the project ${VERSION}")
endif()
message(STATUS "version.hpp and vcpkg.json match ${VERSION}")
