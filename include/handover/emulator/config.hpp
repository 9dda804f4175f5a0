#pragma once
/// @file
/// Configuration of the local Messenger Platform emulator: pages, WhatsApp numbers, apps,
/// delivery tuning.
///
/// The JSON form (see examples/emulator/config.json):
/// @code{.json}
/// {"pages":[{"id":"1001","name":"Shop","platform":"messenger","era":"routing",
///            "default_app_id":"2001"}],
///  "apps":[{"id":"2001","name":"Bot","role":"primary","page_access_token":"bot-token",
///           "app_secret":"s3cret","require_appsecret_proof":false,
///           "webhook_url":"http://127.0.0.1:8080/webhook",
///           "subscribed_fields":["messages","standby","messaging_handovers","message_echoes"]}],
///  "delivery":{"initial_backoff_ms":50,"max_backoff_ms":2000,"retry_window_ms":3600000,
///              "timeout_ms":2000,"max_batch":10}}
/// @endcode

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "handover/core/export.hpp"
#include "handover/core/result.hpp"
#include "handover/core/types.hpp"
#include "handover/emulator/faults.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace emulator {

/// Which thread-control world a page lives in.
enum class Era {
  kLegacy,   ///< Handover Protocol v1/v2: Primary and Secondary Receivers.
  kRouting,  ///< Conversation Routing: default app, idle threads, 24 h expiry.
};

/// An app's legacy Handover Protocol role on a page.
enum class Role { kNone, kPrimary, kSecondary };

/// "legacy" / "routing".
HANDOVER_EMULATOR_EXPORT const char* toString(Era era) noexcept;
/// "none" / "primary" / "secondary".
HANDOVER_EMULATOR_EXPORT const char* toString(Role role) noexcept;
/// Parses "primary", "secondary" or "none" (also "primary_receiver", "secondary_receiver").
HANDOVER_EMULATOR_EXPORT std::optional<Role> parseRole(std::string_view name) noexcept;

/// One Facebook Page (or the Page behind an Instagram account).
struct PageConfig {
  std::string id;                            ///< Page id; required, unique.
  std::string name;                          ///< Display name; empty: "Page <id>".
  Platform platform = Platform::kMessenger;  ///< JSON "messenger" (default) or "instagram".
  Era era = Era::kRouting;                   ///< JSON "routing" (default) or "legacy".
  /// Conversation Routing's default app; empty is "zero-config" (no default app).
  std::string default_app_id;
};

/// One app installed on pages. The built-in Page Inbox (263902037430900) and Instagram Inbox
/// (1217981644879628) exist without being listed; listing one overrides its role.
struct AppConfig {
  std::string id;    ///< App id; required, unique.
  std::string name;  ///< Display name; empty: "App <id>".
  /// Role on every legacy page the app is installed on (see `page_roles` for exceptions).
  Role role = Role::kNone;
  /// Per-page role overrides (page id to role).
  std::map<std::string, Role> page_roles;
  /// Pages the app is installed on; empty means every page.
  std::vector<std::string> pages;
  /// The Page access token the app calls the Graph API with (same token on all its pages).
  std::string page_access_token;
  /// Page-scoped tokens (page id to token): `/me` resolves to that page.
  std::map<std::string, std::string> page_tokens;
  /// Key of webhook signatures and `appsecret_proof`.
  std::string app_secret;
  /// "Require App Secret": calls without a valid `appsecret_proof` are refused.
  bool require_appsecret_proof = false;
  /// Page setting "Allow this app to take control of conversations" (Conversation Routing).
  bool can_take = true;
  /// Where events are POSTed; empty means the app gets no webhooks.
  std::string webhook_url;
  /// The verify token the app's webhook expects. When set, the emulator performs Meta's
  /// verification handshake (GET with `hub.verify_token` and `hub.challenge`) at start and
  /// delivers nothing to an app that answers it wrong; empty: no handshake, as before.
  std::string verify_token;
  /// Webhook fields: messages, standby, messaging_handovers, message_echoes,
  /// messaging_postbacks, message_reads (Instagram: messaging_handover, messaging_seen).
  std::vector<std::string> subscribed_fields;
};

/// One entry point of a WhatsApp number: where a conversation began (the default one, or a
/// click-to-WhatsApp ad). Roles are resolved per entry point (whatsapp.md §1).
struct WhatsAppEntryPoint {
  /// The app an inbound message on an idle thread goes to; required.
  std::string primary;
  /// Role wire name ("customer_service", "marketing"...) to the app holding it here: the target
  /// of a pass to that role.
  std::map<std::string, std::string> roles;
};

/// A WhatsApp Business number and its responders (Conversation Routing, whatsapp.md).
struct WhatsAppNumberConfig {
  std::string id;                    ///< `phone_number_id`: digits, unique among pages too.
  std::string waba_id;               ///< The business account: `entry[].id` of its webhooks.
  std::string display_phone_number;  ///< Shown in webhooks; empty: the id.
  std::string name;                  ///< Display name; empty: "WhatsApp <id>".
  /// The app that may take any thread (explicitly, or by a Service send); empty: none.
  std::string escalation_partner;
  /// Entry point name to its primary and roles; "default" is required, "ctwa" is the
  /// click-to-WhatsApp one (a message with that entry point re-routes the thread).
  std::map<std::string, WhatsAppEntryPoint> entry_points;
  /// Apps with standby visibility: they get `standby` copies of messages and echoes of other
  /// responders' sends (off by default, as on Meta).
  std::vector<std::string> standby;
};

/// Webhook delivery tuning. Small defaults keep tests fast; a CLI may raise them.
struct DeliveryConfig {
  /// Wait before the first retry of a failed POST; doubled per further attempt.
  std::chrono::milliseconds initial_backoff{50};
  /// Cap on the wait between retries.
  std::chrono::milliseconds max_backoff{2'000};
  /// A failing app keeps its events this long after the first failed attempt; then they are
  /// dropped and the drop is recorded in the timeline (Meta disables the webhook after 1 h).
  std::chrono::milliseconds retry_window{3'600'000};
  std::chrono::milliseconds timeout{2'000};  ///< Per POST, connection included.
  std::size_t max_batch = 10;                ///< Events per POST at most.
};

/// The whole emulated world.
struct Config {
  std::vector<PageConfig> pages;        ///< Every page the emulator serves.
  std::vector<AppConfig> apps;          ///< Apps besides the built-in inboxes.
  DeliveryConfig delivery;              ///< Webhook retry and batching settings.
  std::optional<Timestamp> start_time;  ///< Clock at start (`start_time_ms`); empty: system clock.
  Faults faults;                        ///< What to inject (`faults`); none by default.
  std::vector<WhatsAppNumberConfig> whatsapp_numbers;  ///< WhatsApp numbers; tokens in `apps`.
};

/// Parses and validates a JSON configuration (unknown keys are rejected so typos surface).
HANDOVER_EMULATOR_EXPORT Result<Config> parseConfig(std::string_view json);
/// Reads a JSON configuration file, then `parseConfig`; errors start with the file's path.
HANDOVER_EMULATOR_EXPORT Result<Config> loadConfigFile(const std::string& path);
/// Checks references and uniqueness: ids, tokens, default apps, one primary per page.
HANDOVER_EMULATOR_EXPORT Result<void> validateConfig(const Config& config);

}  // namespace emulator
HANDOVER_END_NAMESPACE
