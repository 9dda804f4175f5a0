#include "error_mapping.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <ctime>
#include <string>
#include <string_view>

#include "handover/core/export.hpp"
#include "json.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace detail {
namespace {

std::optional<std::chrono::milliseconds> parseDeltaSeconds(const std::string& text) {
  std::size_t i = 0;
  while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
  std::int64_t seconds = 0;
  std::size_t digits = 0;
  for (; i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])); ++i, ++digits) {
    // A day is plenty: larger values are clamped rather than overflowing.
    if (seconds < 86'400) seconds = seconds * 10 + (text[i] - '0');
  }
  while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
  if (digits == 0 || i != text.size()) return std::nullopt;
  return std::chrono::milliseconds(std::min<std::int64_t>(seconds, 86'400) * 1000);
}

// The HTTP-date form (RFC 9110 §10.2.3: IMF-fixdate and the obsolete forms), read by libcurl's
// own date parser, as a wait from now on the system clock (a date in the past: no wait).
std::optional<std::chrono::milliseconds> parseHttpDate(const std::string& text) {
  const std::time_t at = curl_getdate(text.c_str(), nullptr);
  if (at < 0) return std::nullopt;
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  const std::int64_t seconds =
      std::clamp<std::int64_t>(static_cast<std::int64_t>(at) - now, 0, 86'400);
  return std::chrono::milliseconds(seconds * 1000);
}

std::optional<std::chrono::milliseconds> parseBusinessUseCase(const std::string& text) {
  rapidjson::Document doc;
  if (parseJson(text, doc) || !doc.IsObject()) return std::nullopt;
  std::int64_t minutes = 0;
  // {"<business id>":[{"type":"pages","estimated_time_to_regain_access":N,...}], ...}
  for (const auto& business : doc.GetObject()) {
    if (!business.value.IsArray()) continue;
    for (const auto& usage : business.value.GetArray()) {
      if (!usage.IsObject()) continue;
      const auto it = usage.FindMember("estimated_time_to_regain_access");
      if (it != usage.MemberEnd() && it->value.IsInt64()) {
        minutes = std::max(minutes, std::min(it->value.GetInt64(), std::int64_t{24} * 60));
      }
    }
  }
  if (minutes <= 0) return std::nullopt;
  return std::chrono::minutes(minutes);
}

}  // namespace

std::optional<std::chrono::milliseconds> retryAfter(const HttpResponse& response) {
  std::optional<std::chrono::milliseconds> out;
  if (const auto* h = response.header("Retry-After")) {
    out = parseDeltaSeconds(*h);
    if (!out) out = parseHttpDate(*h);
  }
  if (const auto* h = response.header("X-Business-Use-Case-Usage")) {
    if (auto buc = parseBusinessUseCase(*h); buc && (!out || *buc > *out)) out = buc;
  }
  return out;
}

std::optional<Error> graphError(const rapidjson::Value& doc, int http_status) {
  if (!doc.IsObject()) return std::nullopt;
  const auto it = doc.FindMember("error");
  if (it == doc.MemberEnd() || !it->value.IsObject()) return std::nullopt;
  const auto& body = it->value;
  // Be lenient here: a malformed field must not hide the rest of the error.
  FieldReader read("Graph error");
  Error e;
  e.category = ErrorCategory::kApi;
  e.http_status = http_status;
  e.message = read.string(body, "message").value_or("Graph API error without a message");
  const auto code = read.int64(body, "code");
  const auto subcode = read.int64(body, "error_subcode");
  if (code && *code > 0 && *code <= INT32_MAX) e.code = static_cast<int>(*code);
  if (subcode && *subcode > 0 && *subcode <= INT32_MAX) e.subcode = static_cast<int>(*subcode);
  FieldReader lenient("Graph error");
  e.type = lenient.string(body, "type").value_or("");
  e.user_title = lenient.string(body, "error_user_title").value_or("");
  e.user_message = lenient.string(body, "error_user_msg").value_or("");
  e.fbtrace_id = lenient.string(body, "fbtrace_id").value_or("");
  e.is_transient = lenient.boolean(body, "is_transient");
  return e;
}

Error errorFromResponse(const HttpResponse& response) {
  Error e;
  if (response.status >= 300 && response.status < 400) {
    // Not followed: a redirect would carry the token to wherever it points. Only the target's
    // scheme and host are named; its path and query may hold anything.
    e.category = ErrorCategory::kRedirect;
    e.http_status = response.status;
    e.message = "HTTP " + std::to_string(response.status) + " redirect not followed";
    if (const auto* location = response.header("Location")) {
      const auto scheme = location->find("://");
      if (scheme < 16) {  // npos too is larger
        const auto host_end =
            std::min(location->find_first_of("/?#", scheme + 3), location->size());
        std::string_view host(location->data() + scheme + 3, host_end - scheme - 3);
        // user:password@host: the credentials are not ours to print.
        if (const auto at = host.rfind('@'); at != std::string_view::npos)
          host.remove_prefix(at + 1);
        e.message += " (Location: " + location->substr(0, scheme + 3) +
                     std::string(host.substr(0, 200)) + ")";
      }
    }
    e.message += "; check ClientOptions::base_url";
    return e;
  }
  rapidjson::Document doc;
  if (!parseJson(response.body, doc)) {
    if (auto api = graphError(doc, response.status)) e = std::move(*api);
  }
  if (e.category != ErrorCategory::kApi) {
    e.category = ErrorCategory::kHttp;
    e.http_status = response.status;
    const auto* type = response.header("Content-Type");
    e.message = "HTTP " + std::to_string(response.status) + " without a Graph error body";
    if (type != nullptr && !type->empty()) e.message += " (" + type->substr(0, 64) + ")";
  }
  e.retry_after = retryAfter(response);
  return e;
}

Error scrubSecrets(Error e, std::initializer_list<const std::string*> secrets) {
  for (const std::string* secret : secrets) {
    if (secret->size() < 4) continue;
    for (std::string* text : {&e.message, &e.user_title, &e.user_message, &e.type, &e.fbtrace_id}) {
      for (auto pos = text->find(*secret); pos != std::string::npos;
           pos = text->find(*secret, pos)) {
        text->replace(pos, secret->size(), "***");
      }
    }
  }
  return e;
}

}  // namespace detail
HANDOVER_END_NAMESPACE
