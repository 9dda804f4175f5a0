#pragma once
/// @file
/// The SDK's version, for compile-time checks (`#if HANDOVER_VERSION >= 100`) and for logs.
/// Kept equal to `project(handover VERSION ...)` in CMakeLists.txt by the `packaging` tests.

/// Major version: an increase breaks source or binary compatibility.
#define HANDOVER_VERSION_MAJOR 0
/// Minor version: an increase adds API compatibly.
#define HANDOVER_VERSION_MINOR 1
/// Patch version: an increase fixes bugs only.
#define HANDOVER_VERSION_PATCH 0
/// The version as "MAJOR.MINOR.PATCH".
#define HANDOVER_VERSION_STRING "0.1.0"
/// The version as one comparable number: MAJOR * 10000 + MINOR * 100 + PATCH.
#define HANDOVER_VERSION \
  (HANDOVER_VERSION_MAJOR * 10000 + HANDOVER_VERSION_MINOR * 100 + HANDOVER_VERSION_PATCH)
