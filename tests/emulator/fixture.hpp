#pragma once
// A two-era world for integration tests: a legacy page and a routing page, a bot app and an
// agent app with real webhook receivers, a third app without webhooks, and SDK clients.

#include <rapidjson/document.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "handover/client/client.hpp"
#include "handover/emulator/emulator.hpp"
#include "secret_scan.hpp"
#include "webhook_receiver.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace emulator::testing {

// How long a test waits for a webhook the emulator should deliver.
inline constexpr auto kWait = std::chrono::seconds(10);

// An answer body as JSON (invalid UTF-8 makes it a parse error the test sees).
inline rapidjson::Document json(const std::string& body) {
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseValidateEncodingFlag>(body.data(), body.size());
  return doc;
}

inline constexpr const char* kLegacyPage = "100100100";
inline constexpr const char* kRoutingPage = "200200200";
inline constexpr const char* kBot = "1111111111";
inline constexpr const char* kAgent = "2222222222";
inline constexpr const char* kAnalytics = "3333333333";
inline constexpr const char* kUser = "6543210987654321";

inline std::vector<std::string> allFields() {
  return {"messages",     "standby", "messaging_handovers", "message_echoes", "messaging_postbacks",
          "message_reads"};
}

struct Fixture {
  WebhookReceiver bot_hook{"bot-secret"};
  WebhookReceiver agent_hook{"agent-secret"};
  std::unique_ptr<Emulator> emu;

  explicit Fixture(const std::function<void(Config&)>& tweak = {}) {
    Config c;
    c.delivery.initial_backoff = std::chrono::milliseconds(10);
    c.delivery.max_backoff = std::chrono::milliseconds(50);
    c.pages.push_back({kLegacyPage, "Legacy Shop", Platform::kMessenger, Era::kLegacy, ""});
    c.pages.push_back({kRoutingPage, "Routing Shop", Platform::kMessenger, Era::kRouting, kBot});
    AppConfig bot;
    bot.id = kBot;
    bot.name = "Bot";
    bot.role = Role::kPrimary;
    bot.page_tokens = {{kLegacyPage, "bot-legacy-token"}, {kRoutingPage, "bot-routing-token"}};
    bot.app_secret = "bot-secret";
    bot.webhook_url = bot_hook.url();
    bot.subscribed_fields = allFields();
    AppConfig agent;
    agent.id = kAgent;
    agent.name = "Agent Desk";
    agent.role = Role::kSecondary;
    agent.page_tokens = {{kLegacyPage, "agent-legacy-token"},
                         {kRoutingPage, "agent-routing-token"}};
    agent.app_secret = "agent-secret";
    agent.require_appsecret_proof = true;
    agent.webhook_url = agent_hook.url();
    agent.subscribed_fields = allFields();
    AppConfig analytics;
    analytics.id = kAnalytics;
    analytics.name = "Analytics";
    analytics.pages = {kRoutingPage};
    analytics.page_access_token = "analytics-token";
    analytics.app_secret = "analytics-secret";
    c.apps = {bot, agent, analytics};
    if (tweak) tweak(c);
    emu = std::make_unique<Emulator>(std::move(c));
    emu->start("127.0.0.1", 0).value();
    // Bounded by the shortest wait a test makes; an app kept down on purpose only delays it.
    for (WebhookReceiver* hook : {&bot_hook, &agent_hook}) {
      hook->settleWith([this] { return emu->waitForDeliveries(std::chrono::seconds(2)); });
    }
  }
  ~Fixture() {
    for (WebhookReceiver* hook : {&bot_hook, &agent_hook}) hook->settleWith({});
  }
  Fixture(const Fixture&) = delete;
  Fixture& operator=(const Fixture&) = delete;

  Client client(const std::string& token, const std::string& app_id,
                const std::string& secret = "") const {
    ClientOptions o;
    o.base_url = emu->baseUrl();
    o.access_token = token;
    o.app_secret = secret;
    o.app_id = app_id;
    o.retry.max_attempts = 1;
    o.deadline = std::chrono::seconds(10);
    return handover::test::guarded(o);  // every error it returns is scanned for secrets
  }
  Client legacyBot() const { return client("bot-legacy-token", kBot); }
  Client legacyAgent() const { return client("agent-legacy-token", kAgent, "agent-secret"); }
  Client routingBot() const { return client("bot-routing-token", kBot); }
  Client routingAgent() const { return client("agent-routing-token", kAgent, "agent-secret"); }
  Client analytics() const { return client("analytics-token", kAnalytics); }

  InjectedEvent userSays(const char* page, const std::string& text,
                         const std::string& user = kUser) {
    return emu->sendUserMessage({page, user, text, ""}).value();
  }
  std::string ownerOf(const char* page, const std::string& user = kUser) const {
    return emu->threadState(page, user).value().owner_app_id;
  }
};

/// The texts of the message events, in arrival order.
inline std::vector<std::string> texts(const std::vector<webhook::Event>& events) {
  std::vector<std::string> out;
  for (const auto& e : events) {
    if (const auto* m = e.get<webhook::Message>()) out.push_back(m->text);
  }
  return out;
}

/// Events of one kind, in arrival order.
inline std::vector<webhook::Event> ofKind(const std::vector<webhook::Event>& all,
                                          webhook::EventKind kind) {
  std::vector<webhook::Event> out;
  for (const auto& e : all) {
    if (e.kind() == kind) out.push_back(e);
  }
  return out;
}

}  // namespace emulator::testing
HANDOVER_END_NAMESPACE
