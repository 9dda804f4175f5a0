# cmake -P check: include/handover/version.hpp must carry project(handover VERSION ...).
# Inputs (-D): HEADER, VERSION.
cmake_minimum_required(VERSION 3.16)
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
message(STATUS "version.hpp matches ${VERSION}")
