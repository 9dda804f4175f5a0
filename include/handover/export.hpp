#pragma once
/// @file
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
#define HANDOVER_EXPORT
#endif
