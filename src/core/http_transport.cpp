#include "handover/http_transport.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace {

constexpr char lower(char c) noexcept {
  return (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c;
}

bool isSensitiveParam(std::string_view name) noexcept {
  return name == "access_token" || name == "appsecret_proof" || name == "client_secret" ||
         name == "input_token";
}

}  // namespace

bool equalsIgnoreCase(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

const std::string* findHeader(const HttpHeaders& headers, std::string_view name) noexcept {
  for (const auto& [key, value] : headers) {
    if (equalsIgnoreCase(key, name)) return &value;
  }
  return nullptr;
}

std::string redactUrl(std::string_view url) {
  const auto query = url.find('?');
  if (query == std::string_view::npos) return std::string(url);
  std::string out(url.substr(0, query + 1));
  std::string_view rest = url.substr(query + 1);
  bool first = true;
  while (!rest.empty()) {
    const auto amp = rest.find('&');
    const std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view{} : rest.substr(amp + 1);
    if (!first) out += '&';
    first = false;
    const auto eq = pair.find('=');
    const std::string_view name = pair.substr(0, eq);
    if (eq != std::string_view::npos && isSensitiveParam(name)) {
      out.append(name).append("=***");
    } else {
      out.append(pair);
    }
  }
  return out;
}

HANDOVER_END_NAMESPACE
