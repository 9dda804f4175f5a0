#include "handover/core/http_transport.hpp"

#include "ascii.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace detail {

bool equalsIgnoreCase(std::string_view a, std::string_view b) noexcept {
  const auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c; };
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

}  // namespace detail

const std::string* findHeader(const HttpHeaders& headers, std::string_view name) noexcept {
  for (const auto& [key, value] : headers) {
    if (detail::equalsIgnoreCase(key, name)) return &value;
  }
  return nullptr;
}

HANDOVER_END_NAMESPACE
