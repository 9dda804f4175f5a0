#pragma once
/// @file
/// The macros every header uses: the export mark and the versioned namespace.
///
/// `HANDOVER_EXPORT` marks the public API. libhandover is built with hidden visibility, so a
/// shared libhandover exports only what carries this mark (checked in CI with `nm`): no
/// `detail::` symbol, no RapidJSON type.

#if defined(_WIN32) && defined(HANDOVER_SHARED)
#if defined(HANDOVER_BUILDING)
#define HANDOVER_EXPORT __declspec(dllexport)
#else
#define HANDOVER_EXPORT __declspec(dllimport)
#endif
#elif defined(__GNUC__) || defined(__clang__)
#define HANDOVER_EXPORT __attribute__((visibility("default")))
#else
/// Marks a class or function of the public API (exported from a shared libhandover).
#define HANDOVER_EXPORT
#endif

// The optional components are libraries of their own, each built with hidden visibility: the
// same mark, keyed on the component being built (a Windows DLL exports what it builds and
// imports what it uses).
#if defined(_WIN32) && defined(HANDOVER_SHARED)
#if defined(HANDOVER_EMULATOR_BUILDING)
#define HANDOVER_EMULATOR_EXPORT __declspec(dllexport)
#else
#define HANDOVER_EMULATOR_EXPORT __declspec(dllimport)
#endif
#if defined(HANDOVER_REDIS_BUILDING)
#define HANDOVER_REDIS_EXPORT __declspec(dllexport)
#else
#define HANDOVER_REDIS_EXPORT __declspec(dllimport)
#endif
#elif defined(__GNUC__) || defined(__clang__)
#define HANDOVER_EMULATOR_EXPORT __attribute__((visibility("default")))
#define HANDOVER_REDIS_EXPORT __attribute__((visibility("default")))
#else
/// Marks the API of `handover::emulator` (exported from a shared libhandover_emulator).
#define HANDOVER_EMULATOR_EXPORT
/// Marks the API of `handover::redis` (exported from a shared libhandover_redis).
#define HANDOVER_REDIS_EXPORT
#endif

/// The versioned inline namespace: every type is `handover::v0::X`, spelled `handover::X`. A
/// build of another ABI version gets other symbol names, so two versions linked into one program
/// fail at link time instead of mixing layouts at run time.
#define HANDOVER_ABI_NAMESPACE v0

#ifdef HANDOVER_DOXYGEN  // the documentation names types handover::X
/// Opens `namespace handover` (and, outside the documentation, its versioned inline namespace).
#define HANDOVER_BEGIN_NAMESPACE namespace handover {
/// Closes what `HANDOVER_BEGIN_NAMESPACE` opened.
#define HANDOVER_END_NAMESPACE }
#else
/// Opens `namespace handover` and its versioned inline namespace.
#define HANDOVER_BEGIN_NAMESPACE \
  namespace handover {           \
  inline namespace HANDOVER_ABI_NAMESPACE {
/// Closes what `HANDOVER_BEGIN_NAMESPACE` opened.
#define HANDOVER_END_NAMESPACE \
  }                            \
  }
#endif
