#pragma once
// URL building for Graph calls: percent-encoding of path segments and query values.

#include <string>
#include <string_view>
#include <utility>
#include <vector>
#include "handover/core/export.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace detail {

/// Ordered query parameters, values unencoded.
using QueryParams = std::vector<std::pair<std::string, std::string>>;

/// RFC 3986 percent-encoding: everything but unreserved characters is escaped.
std::string percentEncode(std::string_view text);

/// `name=value&...`, both sides percent-encoded. Empty for no parameters.
std::string encodeQuery(const QueryParams& params);

}  // namespace detail
HANDOVER_END_NAMESPACE
