#pragma once
// The one shape of a refused webhook body: kParse, "webhook body: ...", and where it broke.

#include <cstddef>
#include <string>
#include <utility>

#include "handover/core/error.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace webhook::detail {

inline Error bodyError(std::string message, std::size_t offset) {
  Error e;
  e.category = ErrorCategory::kParse;
  e.message = "webhook body: " + std::move(message);
  e.offset = offset;
  return e;
}

}  // namespace webhook::detail
HANDOVER_END_NAMESPACE
