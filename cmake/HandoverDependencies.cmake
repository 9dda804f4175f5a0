# Every dependency comes from the system (Debian 12 packages); nothing is downloaded.
find_package(Threads REQUIRED)
find_package(CURL REQUIRED)
find_package(OpenSSL REQUIRED COMPONENTS Crypto)

# RapidJSON is header-only; Debian's config file sets variables, not a target.
find_path(HANDOVER_RAPIDJSON_INCLUDE_DIR rapidjson/reader.h REQUIRED)
if(NOT TARGET handover_rapidjson)
  add_library(handover_rapidjson INTERFACE)
  target_include_directories(handover_rapidjson SYSTEM INTERFACE ${HANDOVER_RAPIDJSON_INCLUDE_DIR})
  # Size-limited, iterative parsing needs no std::string conversions; keep the API std-only.
  target_compile_definitions(handover_rapidjson INTERFACE RAPIDJSON_HAS_STDSTRING=1)
  # handover's RapidJSON lives in a namespace of its own: RAPIDJSON_HAS_STDSTRING changes
  # RapidJSON's class definitions, so a program linking a static libhandover and using RapidJSON
  # with other settings would otherwise hold two definitions of the same inline templates (ODR).
  # Each closing of the namespace also declares `rapidjson` as an alias of it (a namespace alias
  # may be declared again for the same namespace), so our sources keep writing `rapidjson::`.
  target_compile_definitions(handover_rapidjson INTERFACE
    "RAPIDJSON_NAMESPACE=handover_rapidjson"
    "RAPIDJSON_NAMESPACE_BEGIN=namespace handover_rapidjson {"
    "RAPIDJSON_NAMESPACE_END=} namespace rapidjson = handover_rapidjson\;")
endif()

# cpp-httplib: Debian ships it as a compiled library with a pkg-config file; its compile
# definitions change class layouts, so they must come from pkg-config, not be guessed.
if(HANDOVER_BUILD_TESTS OR HANDOVER_BUILD_EXAMPLES OR HANDOVER_BUILD_TOOLS OR HANDOVER_BUILD_BENCHMARKS)
  find_package(PkgConfig REQUIRED)
  pkg_check_modules(HANDOVER_HTTPLIB REQUIRED IMPORTED_TARGET cpp-httplib)
  if(NOT TARGET handover_httplib)
    add_library(handover_httplib INTERFACE)
    target_link_libraries(handover_httplib INTERFACE PkgConfig::HANDOVER_HTTPLIB Threads::Threads)
  endif()
endif()
