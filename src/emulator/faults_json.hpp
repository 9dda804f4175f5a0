#pragma once
// The faults object's reader over an already parsed value, for the config loader (which reads
// it under its "faults" key) and the control API.

#include <rapidjson/document.h>

#include <array>
#include <string>
#include <string_view>

#include "handover/emulator/config.hpp"
#include "handover/emulator/faults.hpp"
#include "json_util.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace emulator::detail {

// The keys of each object, read by the loader (which refuses others) and by the test of
// README's reference table. "comment" is accepted everywhere, for notes in a config file.
inline constexpr std::array<std::string_view, 7> kFaultKeys{
    "seed", "delivery", "graph", "rate_limits", "handover_disabled_pages", "lead_gen", "comment"};
inline constexpr std::array<std::string_view, 10> kFaultDeliveryKeys{
    "drop_rate",     "duplicate_rate",     "delay_ms",     "reorder_window", "batch_size",
    "batch_wait_ms", "answer_deadline_ms", "retry_jitter", "apps",           "comment"};
inline constexpr std::array<std::string_view, 12> kGraphFaultKeys{
    "method",        "edge",   "path", "app_id",  "count",   "error",
    "retry_after_s", "status", "code", "subcode", "message", "comment"};
inline constexpr std::array<std::string_view, 5> kRateLimitKeys{"app_id", "calls", "window_ms",
                                                                "code", "comment"};
inline constexpr std::array<std::string_view, 4> kLeadGenKeys{"page_id", "target_app_id",
                                                              "complete", "comment"};

/// `path` names the object in errors ("config.json: faults", "faults").
Result<Faults> parseFaultsValue(const rapidjson::Value& v, const std::string& path);

/// "PATH: expected WHAT", a parse-category invalid argument.
Error faultError(const std::string& path, const std::string& expected);

/// Every page and app the faults name exists in `config` (config.cpp).
Result<void> checkFaultReferences(const Config& config, const Faults& faults,
                                  const std::string& path);

/// The JSON name of a Graph fault ("not_owner", "rate_limit", ...).
const char* toString(GraphFaultKind kind) noexcept;

}  // namespace emulator::detail
HANDOVER_END_NAMESPACE
