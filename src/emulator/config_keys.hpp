#pragma once
// The keys the emulator's JSON configuration accepts, per object: the one list both the loader
// (which refuses any other key) and the test of README's reference table read.

#include <array>
#include <string_view>
#include "handover/core/export.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace emulator::detail {

inline constexpr std::array<std::string_view, 6> kConfigKeys{
    "pages", "whatsapp_numbers", "apps", "delivery", "start_time_ms", "faults"};
inline constexpr std::array<std::string_view, 5> kPageKeys{"id", "name", "platform", "era",
                                                           "default_app_id"};
inline constexpr std::array<std::string_view, 13> kAppKeys{"id",
                                                           "name",
                                                           "role",
                                                           "page_roles",
                                                           "pages",
                                                           "page_access_token",
                                                           "page_tokens",
                                                           "app_secret",
                                                           "require_appsecret_proof",
                                                           "can_take",
                                                           "webhook_url",
                                                           "verify_token",
                                                           "subscribed_fields"};
inline constexpr std::array<std::string_view, 7> kWhatsAppNumberKeys{
    "id",           "waba_id", "display_phone_number", "name", "escalation_partner",
    "entry_points", "standby"};
inline constexpr std::array<std::string_view, 2> kEntryPointKeys{"primary", "roles"};
inline constexpr std::array<std::string_view, 5> kDeliveryKeys{
    "initial_backoff_ms", "max_backoff_ms", "retry_window_ms", "timeout_ms", "max_batch"};

}  // namespace emulator::detail
HANDOVER_END_NAMESPACE
