#pragma once
// A RapidJSON document whose values live in a buffer inside the object: a Graph answer is a few
// hundred bytes, and the default 64 KiB pool chunk per response costs more than the parse.

#include <rapidjson/document.h>
#include "handover/core/export.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace detail {

/// Holds the pool first so it is built before the document that uses it.
struct LocalPool {
  char buffer[2048];
  rapidjson::MemoryPoolAllocator<> pool{buffer, sizeof buffer};
};

/// A `rapidjson::Document` for one response; larger answers spill into ordinary heap chunks.
/// Not copyable or movable (the document points into its own buffer).
class LocalDocument : private LocalPool, public rapidjson::Document {
 public:
  LocalDocument() : LocalPool(), rapidjson::Document(&pool) {}
  LocalDocument(const LocalDocument&) = delete;
  LocalDocument& operator=(const LocalDocument&) = delete;
};

}  // namespace detail
HANDOVER_END_NAMESPACE
