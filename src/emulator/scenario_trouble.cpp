#include "scenario_trouble.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace emulator::detail {

namespace {

std::string text(const rapidjson::Value& v, const char* key) {
  const auto it = v.FindMember(key);
  return it != v.MemberEnd() && it->value.IsString() ? it->value.GetString() : "";
}

int number(const rapidjson::Value& v, const char* key) {
  const auto it = v.FindMember(key);
  return it != v.MemberEnd() && it->value.IsInt() ? it->value.GetInt() : 0;
}

// "answered 403" or the transport error, as the timeline has it.
std::string answer(const rapidjson::Value& e) {
  const int status = number(e, "status");
  const std::string error = text(e, "error");
  if (status == 0) return error.empty() ? "no answer" : error;
  return "answered " + std::to_string(status) + (error.empty() ? "" : " (" + error + ")");
}

}  // namespace

std::string deliveryTrouble(const rapidjson::Value& timeline, const std::string& app_name) {
  if (!timeline.IsArray()) return {};
  std::size_t failed = 0, delivered = 0;
  const rapidjson::Value* last_failure = nullptr;
  const rapidjson::Value* last_verification = nullptr;
  for (const auto& e : timeline.GetArray()) {
    if (!e.IsObject()) continue;
    const std::string kind = text(e, "kind");
    if (kind == "subscription") last_verification = &e;
    if (kind != "delivery") continue;
    const std::string outcome = text(e, "outcome");
    if (outcome == "delivered") {
      ++delivered;
    } else if (outcome != "duplicate" && outcome != "lost") {
      ++failed;
      last_failure = &e;
    }
  }
  std::string out;
  if (last_verification != nullptr && text(*last_verification, "result") != "verified") {
    out += "          " + app_name + " did not pass the webhook verification (" +
           text(*last_verification, "result") + ": " + answer(*last_verification) + ")\n";
  }
  if (last_failure != nullptr) {
    out += "          deliveries to " + app_name + " failed " + std::to_string(failed) + " time" +
           (failed == 1 ? "" : "s") + " (" + std::to_string(delivered) + " delivered); the last " +
           answer(*last_failure) + " [" + text(*last_failure, "outcome") + "]\n";
  }
  return out;
}

}  // namespace emulator::detail
HANDOVER_END_NAMESPACE
