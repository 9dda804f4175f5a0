#pragma once
// Reading the emulator's JSON configuration: the helpers each section's reader shares (errors
// that name the path, unknown keys refused, typed fields).

#include <rapidjson/document.h>

#include <array>
#include <string>
#include <string_view>

#include "handover/core/error.hpp"
#include "handover/core/result.hpp"
#include "json_util.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace emulator::detail {

inline Error configError(std::string message) {
  Error e = handover::detail::invalidArgument("emulator config: " + std::move(message));
  e.category = ErrorCategory::kParse;
  return e;
}

// Unknown keys are refused: a misspelt "subscribed_fields" would otherwise silently mean "no
// webhooks", which is the very confusion the emulator exists to remove.
template <std::size_t N>
Result<void> onlyKeys(const rapidjson::Value& obj, std::string_view where,
                      const std::array<std::string_view, N>& allowed) {
  for (auto it = obj.MemberBegin(); it != obj.MemberEnd(); ++it) {
    std::string_view key(it->name.GetString(), it->name.GetStringLength());
    bool ok = false;
    for (auto a : allowed) ok = ok || a == key;
    if (!ok)
      return configError("unknown key \"" + std::string(key) + "\" in " + std::string(where));
  }
  return {};
}

inline Result<std::string> getString(const rapidjson::Value& obj, const char* key,
                                     std::string_view where, bool required) {
  auto it = obj.FindMember(key);
  if (it == obj.MemberEnd()) {
    if (required) return configError(std::string(where) + " needs \"" + key + "\"");
    return std::string();
  }
  if (!it->value.IsString()) {
    return configError(std::string(where) + "." + key + " must be a string");
  }
  return std::string(it->value.GetString(), it->value.GetStringLength());
}

inline Result<std::string> getId(const rapidjson::Value& obj, const char* key,
                                 std::string_view where, bool required) {
  auto it = obj.FindMember(key);
  if (it == obj.MemberEnd() || it->value.IsNull()) {
    if (required) return configError(std::string(where) + " needs \"" + key + "\"");
    return std::string();
  }
  auto id = idText(it->value);
  if (!id) return configError(std::string(where) + "." + key + " must be a string or integer");
  return *id;
}

}  // namespace emulator::detail
HANDOVER_END_NAMESPACE
