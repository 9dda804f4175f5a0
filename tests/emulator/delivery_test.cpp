// Webhook delivery: signatures, envelopes, batching, retries of an app that is down.
#include <rapidjson/document.h>

#include "catch.hpp"
#include "core/crypto.hpp"
#include "delivery.hpp"
#include "fixture.hpp"
#include "recording_server.hpp"

using namespace handover;
using namespace handover::emulator;
using namespace handover::emulator::testing;
using handover::detail::hmacSha1Hex;
using handover::detail::hmacSha256Hex;

TEST_CASE("delivery: an app that is down gets every event once it is back in order",
          "[concurrency]") {
  Fixture f;
  f.agent_hook.setDown(true);
  std::vector<std::string> said;
  for (int i = 0; i < 7; ++i) {
    said.push_back("message " + std::to_string(i));
    f.userSays(kRoutingPage, said.back());
  }
  // Wait until the down app refused at least two attempts: retries are happening.
  REQUIRE(f.agent_hook.waitForPosts(2));
  CHECK(f.agent_hook.events().empty());
  CHECK(f.emu->pendingDeliveries(kAgent) == 7);
  f.agent_hook.setDown(false);
  REQUIRE(f.emu->waitForDeliveries(kWait));
  auto events = f.agent_hook.events();
  CHECK(texts(events) == said);  // each exactly once, in order
  for (std::size_t i = 1; i < events.size(); ++i) {
    CHECK(events[i - 1].timestamp < events[i].timestamp);
  }
  // Pending events were batched: fewer POSTs than events after the outage.
  CHECK(f.agent_hook.bodies().size() < said.size());
  // The bot was never down: it got its copies without waiting for the agent.
  CHECK(texts(f.bot_hook.events()) == said);
  CHECK(f.agent_hook.badSignatures() == 0);
  const auto timeline = f.emu->timelineJson();
  CHECK(timeline.find("\"outcome\":\"retrying\"") != std::string::npos);
  CHECK(timeline.find("\"outcome\":\"dropped\"") == std::string::npos);
}

TEST_CASE("delivery: a refused connection is retried until the app listens again",
          "[concurrency]") {
  // Held bound and not listening: connections are refused, and no one else can take the port.
  auto down = std::make_unique<handover::test::RefusedPort>();
  const int port = down->port();
  std::unique_ptr<WebhookReceiver> revived;
  Fixture f([port](Config& c) {
    c.apps[1].webhook_url = "http://127.0.0.1:" + std::to_string(port) + "/webhook";
  });
  f.userSays(kRoutingPage, "first");
  f.userSays(kRoutingPage, "second");
  const auto until = std::chrono::steady_clock::now() + kWait;
  while (f.emu->timelineJson().find("\"error\"") == std::string::npos &&
         std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  CHECK(f.emu->pendingDeliveries(kAgent) == 2);
  // The app comes back on the same port (shared with the held socket until it listens).
  revived = std::make_unique<WebhookReceiver>("agent-secret", port);
  REQUIRE(revived->port() == port);
  down.reset();
  auto events = revived->waitForEvents(2);
  CHECK(texts(events) == std::vector<std::string>{"first", "second"});
  REQUIRE(f.emu->waitForDeliveries(kWait));
}

TEST_CASE("delivery: events are dropped (and recorded) after the retry window", "[concurrency]") {
  Fixture f([](Config& c) { c.delivery.retry_window = std::chrono::milliseconds(100); });
  f.agent_hook.setDown(true);
  f.userSays(kRoutingPage, "lost");
  REQUIRE(f.emu->waitForDeliveries(kWait));
  CHECK(f.emu->pendingDeliveries(kAgent) == 0);
  CHECK(f.emu->timelineJson().find("\"outcome\":\"dropped\"") != std::string::npos);
  f.agent_hook.setDown(false);
  f.userSays(kRoutingPage, "after");
  auto events = f.agent_hook.waitForEvents(1);
  CHECK(texts(events) == std::vector<std::string>{"after"});
}

TEST_CASE("delivery: bodies are signed with both headers over the exact bytes", "[concurrency]") {
  std::mutex mu;
  std::vector<std::pair<httplib::Headers, std::string>> seen;
  httplib::Server raw;
  raw.Post("/hook", [&](const httplib::Request& req, httplib::Response&) {
    std::lock_guard<std::mutex> lock(mu);
    seen.emplace_back(req.headers, req.body);
  });
  const int port = raw.bind_to_any_port("127.0.0.1");
  std::thread t([&] { raw.listen_after_bind(); });
  while (!raw.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  {
    Fixture f([port](Config& c) {
      c.apps[0].webhook_url = "http://127.0.0.1:" + std::to_string(port) + "/hook";
    });
    f.userSays(kRoutingPage, "h\xC3\xA9llo \xF0\x9F\x98\x80");
    REQUIRE(f.emu->waitForDeliveries(kWait));
  }
  raw.stop();
  t.join();
  REQUIRE(seen.size() == 1);
  const auto& [headers, body] = seen[0];
  CHECK(headers.find("X-Hub-Signature-256")->second ==
        "sha256=" + hmacSha256Hex("bot-secret", body));
  CHECK(headers.find("X-Hub-Signature")->second == "sha1=" + hmacSha1Hex("bot-secret", body));
  rapidjson::Document doc;
  doc.Parse(body.c_str());
  REQUIRE(doc.IsObject());
  CHECK(std::string(doc["object"].GetString()) == "page");
  const auto& entry = doc["entry"][0];
  CHECK(std::string(entry["id"].GetString()) == kRoutingPage);
  CHECK(entry["time"].IsInt64());
  CHECK(std::string(entry["messaging"][0]["message"]["text"].GetString()) ==
        "h\xC3\xA9llo \xF0\x9F\x98\x80");
}

TEST_CASE("delivery: the envelope groups consecutive events by page and kind", "[concurrency]") {
  using emulator::detail::Outgoing;
  std::vector<Outgoing> batch;
  auto ev = [](const char* page, bool standby, std::int64_t ts) {
    Outgoing o;
    o.page_id = page;
    o.standby = standby;
    o.timestamp = ts;
    o.event_json = "{\"timestamp\":" + std::to_string(ts) + "}";
    return o;
  };
  batch = {ev("1", false, 10), ev("1", false, 11), ev("1", true, 12), ev("2", true, 13)};
  const std::string body = emulator::detail::buildEnvelope(batch);
  auto parsed = webhook::parse(body);
  REQUIRE(parsed);
  rapidjson::Document doc;
  doc.Parse(body.c_str());
  REQUIRE(doc["entry"].Size() == 3);
  CHECK(doc["entry"][0]["messaging"].Size() == 2);
  CHECK(doc["entry"][0]["time"].GetInt64() == 11);
  CHECK(doc["entry"][1]["standby"].Size() == 1);
  CHECK(std::string(doc["entry"][2]["id"].GetString()) == "2");
}

TEST_CASE("delivery: a timed-out POST is retried and nothing is lost", "[concurrency]") {
  Fixture f([](Config& c) { c.delivery.timeout = std::chrono::milliseconds(100); });
  f.agent_hook.setSlow(std::chrono::milliseconds(300));
  f.userSays(kRoutingPage, "slow one");
  f.userSays(kRoutingPage, "slow two");
  REQUIRE(f.agent_hook.waitForPosts(1));
  const auto until = std::chrono::steady_clock::now() + kWait;
  while (f.emu->timelineJson().find("\"outcome\":\"retrying\"") == std::string::npos &&
         std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  CHECK(f.emu->pendingDeliveries(kAgent) == 2);
  f.agent_hook.setSlow(std::chrono::milliseconds(0));
  REQUIRE(f.emu->waitForDeliveries(kWait));
  CHECK(texts(f.agent_hook.events()) == std::vector<std::string>{"slow one", "slow two"});
}

TEST_CASE("delivery: Instagram pages use the instagram object IG inbox and echoes in messages",
          "[concurrency]") {
  Fixture f([](Config& c) {
    c.pages.push_back({"300300300", "IG Shop", Platform::kInstagram, Era::kRouting, kBot});
    c.apps[0].page_tokens["300300300"] = "bot-ig-token";
    c.apps[0].subscribed_fields = {"messages", "standby", "messaging_handover"};
  });
  auto bot = f.client("bot-ig-token", kBot);
  REQUIRE(bot.takeThreadControl(kUser));
  REQUIRE(bot.sendText(kUser, "hi from IG"));
  REQUIRE(f.emu->inboxReply("300300300", kUser, "human on IG"));
  auto events = f.bot_hook.waitForEvents(3);
  REQUIRE(events.size() == 3);
  for (const auto& e : events) CHECK(e.platform == Platform::kInstagram);
  REQUIRE(events[0].get<webhook::Echo>() != nullptr);
  CHECK(events[0].get<webhook::Echo>()->isFromApp(kBot));
  const auto* take = events[1].get<webhook::TakeThreadControl>();
  REQUIRE(take != nullptr);
  CHECK(take->new_owner_app_id == std::optional<std::string>(std::string(kInstagramInboxAppId)));
  CHECK(events[2].standby);
  CHECK(events[2].get<webhook::Echo>()->app_id ==
        std::optional<std::string>(std::string(kInstagramInboxAppId)));
  for (const auto& body : f.bot_hook.bodies()) {
    CHECK(body.rfind("{\"object\":\"instagram\"", 0) == 0);
  }
}
