// The verification handshake Meta performs when an app subscribes its webhook: the emulator does
// it too, so a wrong verify token shows offline (on the timeline, the console and in the
// inspector's world) and the app gets nothing, as Meta would not subscribe it.
#include <httplib.h>
#include <rapidjson/document.h>

#include <mutex>
#include <string>
#include <vector>

#include "catch.hpp"
#include "fixture.hpp"

using namespace handover;
using namespace handover::emulator;
using namespace handover::emulator::testing;

namespace {

// Collects the console lines the emulator writes.
struct Console {
  std::mutex mu;
  std::vector<std::string> lines;
  std::function<void(const std::string&)> sink() {
    return [this](const std::string& line) {
      std::lock_guard<std::mutex> lock(mu);
      lines.push_back(line);
    };
  }
  bool has(const std::string& text) {
    std::lock_guard<std::mutex> lock(mu);
    for (const auto& l : lines) {
      if (l.find(text) != std::string::npos) return true;
    }
    return false;
  }
};

std::vector<std::string> subscriptionResults(const Emulator& emu, const std::string& app) {
  rapidjson::Document doc;
  doc.Parse(emu.timelineJson().c_str());
  std::vector<std::string> out;
  for (const auto& e : doc.GetArray()) {
    if (std::string(e["kind"].GetString()) == "subscription" &&
        std::string(e["app_id"].GetString()) == app) {
      out.emplace_back(e["result"].GetString());
    }
  }
  return out;
}

std::string worldSubscription(const Emulator& emu, const std::string& app) {
  httplib::Client http(emu.baseUrl());
  auto r = http.Get("/_emulator/world");
  rapidjson::Document doc;
  doc.Parse(r->body.c_str());
  for (const auto& a : doc["apps"].GetArray()) {
    if (a["id"].GetString() == app && a.HasMember("subscription")) {
      return a["subscription"].GetString();
    }
  }
  return "";
}

bool eventually(const std::function<bool()>& check) {
  for (int i = 0; i < 500; ++i) {
    if (check()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return check();
}

}  // namespace

TEST_CASE("subscription: an app that answers the handshake is verified at start and delivered",
          "[concurrency]") {
  WebhookReceiver hook("bot-secret", 0, "right-token");
  Fixture f([&](Config& c) {
    c.apps[0].webhook_url = hook.url();
    c.apps[0].verify_token = "right-token";
  });
  REQUIRE(eventually([&] { return subscriptionResults(*f.emu, kBot).size() == 1; }));
  CHECK(subscriptionResults(*f.emu, kBot) == std::vector<std::string>{"verified"});
  CHECK(hook.gets() == 1);
  CHECK(worldSubscription(*f.emu, kBot) == "verified");
  CHECK(worldSubscription(*f.emu, kAgent).empty() == false);  // no token: no_handshake
  CHECK(worldSubscription(*f.emu, kAgent) == "no_handshake");
  f.userSays(kRoutingPage, "hello");
  CHECK(texts(hook.waitForEvents(1)) == std::vector<std::string>{"hello"});
  // The verify token is a secret: it is on no timeline entry.
  CHECK(f.emu->timelineJson().find("right-token") == std::string::npos);
}

TEST_CASE("subscription: a wrong verify token is refused, said, and nothing is delivered",
          "[concurrency]") {
  WebhookReceiver hook("bot-secret", 0, "the-app-expects-this");
  Console console;
  Fixture f([&](Config& c) {
    c.apps[0].webhook_url = hook.url();
    c.apps[0].verify_token = "the-config-says-this";
  });
  // The console sink is set after start here; the refusal may already be on record.
  f.emu->setConsole(console.sink());
  REQUIRE(eventually([&] { return !subscriptionResults(*f.emu, kBot).empty(); }));
  CHECK(subscriptionResults(*f.emu, kBot).front() == "refused");
  CHECK(worldSubscription(*f.emu, kBot) == "refused");

  f.userSays(kRoutingPage, "hello");
  REQUIRE(f.emu->waitForDeliveries(std::chrono::seconds(5)));
  CHECK(hook.posts() == 0);
  CHECK(f.emu->timelineJson().find("\"outcome\":\"unsubscribed\"") != std::string::npos);
  CHECK(console.has("delivery to app " + std::string(kBot)));
  CHECK(f.emu->timelineJson().find("the-config-says-this") == std::string::npos);

  // Asking again changes nothing while the token is still wrong; the control API says so.
  httplib::Client http(f.emu->baseUrl());
  auto again = http.Post("/_emulator/subscriptions/verify",
                         std::string("{\"app_id\":\"") + kBot + "\"}", "application/json");
  REQUIRE(again);
  CHECK(again->status == 200);
  CHECK(again->body == std::string("{\"subscriptions\":{\"") + kBot + "\":\"refused\"}}");
  CHECK(console.has("FAILED the webhook verification"));
  auto unknown = http.Post("/_emulator/subscriptions/verify",
                           std::string("{\"app_id\":\"") + kAnalytics + "\"}", "application/json");
  REQUIRE(unknown);
  CHECK(unknown->status == 400);
}

TEST_CASE("subscription: fixing the app and verifying again resumes deliveries", "[concurrency]") {
  int port = 0;
  {
    WebhookReceiver probe("x");
    port = probe.port();
  }
  auto wrong = std::make_unique<WebhookReceiver>("bot-secret", port, "old-token");
  Fixture f([&](Config& c) {
    c.apps[0].webhook_url = wrong->url();
    c.apps[0].verify_token = "new-token";
  });
  REQUIRE(eventually([&] { return !subscriptionResults(*f.emu, kBot).empty(); }));
  wrong.reset();  // the user fixes the app's token and restarts it on the same port
  WebhookReceiver fixed("bot-secret", port, "new-token");
  REQUIRE(fixed.port() == port);
  auto states = f.emu->verifyWebhooks(kBot);
  REQUIRE(states);
  REQUIRE(states->size() == 1);
  CHECK(states->front().state == WebhookSubscription::kVerified);
  f.userSays(kRoutingPage, "after the fix");
  CHECK(texts(fixed.waitForEvents(1)) == std::vector<std::string>{"after the fix"});
}

TEST_CASE("subscription: an app not up at start is verified before its first delivery",
          "[concurrency]") {
  int port = 0;
  {
    WebhookReceiver probe("x");
    port = probe.port();
  }
  Fixture f([&](Config& c) {
    c.apps[0].webhook_url = "http://127.0.0.1:" + std::to_string(port) + "/webhook";
    c.apps[0].verify_token = "tok";
  });
  REQUIRE(eventually([&] { return !subscriptionResults(*f.emu, kBot).empty(); }));
  CHECK(subscriptionResults(*f.emu, kBot).front() == "pending");
  WebhookReceiver late("bot-secret", port, "tok");
  REQUIRE(late.port() == port);
  f.userSays(kRoutingPage, "are you up now");
  CHECK(texts(late.waitForEvents(1)) == std::vector<std::string>{"are you up now"});
  CHECK(late.gets() == 1);
  CHECK(subscriptionResults(*f.emu, kBot).back() == "verified");
}

TEST_CASE("subscription: a verify token without a webhook url is a config error", "[concurrency]") {
  Config c;
  c.pages.push_back({"1", "P", Platform::kMessenger, Era::kRouting, ""});
  AppConfig a;
  a.id = "9";
  a.page_access_token = "t";
  a.app_secret = "s";
  a.verify_token = "v";
  c.apps = {a};
  CHECK_THROWS_WITH(Emulator(c), Catch::Contains("verify_token but no webhook_url"));
}
