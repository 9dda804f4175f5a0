// Injected faults (handover/emulator/faults.hpp), each switched on from the config or the
// control API and observed the way a user's bot would see it: through the SDK client over real
// sockets, and through the signed webhooks its receiver gets.
#include <httplib.h>
#include <rapidjson/document.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "catch.hpp"
#include "fixture.hpp"
#include "graph_faults.hpp"

using namespace handover;
using namespace handover::emulator;
using namespace handover::emulator::testing;

namespace {

Faults faults(const std::string& json) {
  auto parsed = parseFaults(json);
  if (!parsed) FAIL(parsed.error().message);
  return *parsed;
}

// Timeline entries of one kind, parsed.
std::vector<rapidjson::Document> entries(const Emulator& emu, const std::string& kind) {
  rapidjson::Document all;
  all.Parse(emu.timelineJson().c_str());
  std::vector<rapidjson::Document> out;
  for (const auto& e : all.GetArray()) {
    if (e["kind"].GetString() != kind) continue;
    rapidjson::Document copy;
    copy.CopyFrom(e, copy.GetAllocator());
    out.push_back(std::move(copy));
  }
  return out;
}

httplib::Result control(const Emulator& emu, const char* method, const std::string& path,
                        const std::string& body = "") {
  httplib::Client c(emu.baseUrl());
  if (std::string(method) == "GET") return c.Get(path);
  if (std::string(method) == "DELETE") return c.Delete(path);
  return c.Post(path, body, "application/json");
}

}  // namespace

// --- the faults object: one reader for the config and the control API ----------------------

TEST_CASE("faults: a malformed faults object names the path and what was expected",
          "[concurrency]") {
  struct Case {
    const char* json;
    const char* says;
  };
  const Case cases[] = {
      {R"({"graph":[{"error":"rate_limit"},{"error":"transient","count":0}]})",
       "faults.graph[1].count: expected an integer from 1 to 1000000"},
      {R"({"graph":[{"error":"teapot"}]})", "faults.graph[0].error: expected one of not_owner"},
      {R"({"graph":[{"count":2}]})", "faults.graph[0].error: expected one of"},
      {R"({"graph":[{"error":"not_owner","code":4}]})",
       "faults.graph[0].code: expected no \"code\" unless \"error\" is \"custom\""},
      {R"({"delivery":{"drop_rate":1.5}})",
       "faults.delivery.drop_rate: expected a number from 0 to 1"},
      {R"({"delivery":{"dorp_rate":0.5}})", "faults.delivery.dorp_rate: expected no such key"},
      {R"({"rate_limits":[{"calls":3,"code":500}]})",
       "faults.rate_limits[0].code: expected a throttling code"},
      {R"({"lead_gen":[{"page_id":"12"}]})", "faults.lead_gen[0].target_app_id: expected an id"},
      {R"({"handover_disabled_pages":["abc"]})",
       "faults.handover_disabled_pages: expected an array of page ids"},
      {R"({"seed":-1})", "faults.seed: expected a whole number"},
      {R"([1,2])", "faults: expected an object"},
      {R"({"graph":)", "faults: expected valid JSON"},
  };
  for (const auto& c : cases) {
    auto r = parseFaults(c.json);
    INFO(c.json);
    REQUIRE_FALSE(r);
    CHECK(r.error().message.find(c.says) != std::string::npos);
    CHECK(r.error().category == ErrorCategory::kParse);
  }
}

TEST_CASE("faults: the config's faults key, with the file and the path in its errors",
          "[concurrency]") {
  const std::string path = "faults_test_config.json";
  {
    std::ofstream out(path);
    out << R"({"pages":[{"id":"1001"}],"faults":{"lead_gen":[{"page_id":"1001",)"
        << R"("target_app_id":"777"}]}})";
  }
  auto bad = loadConfigFile(path);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message ==
        "emulator config " + path +
            ": faults.lead_gen[0].target_app_id: expected an app of the config (no app 777)");
  auto good =
      parseConfig(R"({"pages":[{"id":"1001"}],"faults":{"seed":9,"delivery":{"drop_rate":0.25}}})");
  REQUIRE(good);
  CHECK(good->faults.seed == 9);
  CHECK(good->faults.delivery.drop_rate == 0.25);
  std::remove(path.c_str());
}

TEST_CASE("faults: the control API sets, shows and clears them", "[concurrency]") {
  Fixture f;
  auto set = control(*f.emu, "POST", "/_emulator/faults",
                     R"({"seed":5,"graph":[{"edge":"take_thread_control","count":3,)"
                     R"("error":"transient"}],"delivery":{"duplicate_rate":0.5}})");
  REQUIRE(set);
  CHECK(set->status == 200);
  auto shown = faults(control(*f.emu, "GET", "/_emulator/faults")->body);
  CHECK(shown.seed == 5);
  REQUIRE(shown.graph.size() == 1);
  CHECK(shown.graph[0].count == 3);
  CHECK(shown.delivery.duplicate_rate == 0.5);
  // A refused body changes nothing, and says where it is wrong.
  auto refused =
      control(*f.emu, "POST", "/_emulator/faults", R"({"handover_disabled_pages":["999"]})");
  REQUIRE(refused);
  CHECK(refused->status == 400);
  CHECK(refused->body.find("faults.handover_disabled_pages[0]: expected a page of the config") !=
        std::string::npos);
  CHECK(f.emu->faults().graph.size() == 1);
  auto cleared = control(*f.emu, "DELETE", "/_emulator/faults");
  REQUIRE(cleared);
  CHECK(cleared->status == 200);
  CHECK(f.emu->faults().graph.empty());
  CHECK(f.emu->faults().delivery.duplicate_rate == 0);
}

TEST_CASE("faults: every key reads the same from the config and from the control API",
          "[concurrency]") {
  const std::string every =
      R"({"seed":42,"delivery":{"drop_rate":0.1,"duplicate_rate":0.2,"delay_ms":3,)"
      R"("reorder_window":4,"batch_size":5,"batch_wait_ms":6,"answer_deadline_ms":7,)"
      R"("retry_jitter":0.5,"apps":["1111111111"],"comment":"c"},)"
      R"("graph":[{"method":"POST","edge":"messages","path":"/me/messages",)"
      R"("app_id":"1111111111","count":2,"error":"custom","status":403,"code":200,)"
      R"("subcode":9,"message":"m","comment":"c"},{"error":"rate_limit","retry_after_s":9}],)"
      R"("rate_limits":[{"app_id":"2222222222","calls":3,"window_ms":100,"code":4}],)"
      R"("handover_disabled_pages":["100100100"],)"
      R"("lead_gen":[{"page_id":"200200200","target_app_id":"2222222222","complete":false}],)"
      R"("comment":"all of them"})";
  const std::string expected = faultsJson(faults(every));
  // The config form.
  Fixture from_config([&](Config& c) {
    std::string world = R"({"pages":[{"id":"100100100","era":"legacy"},{"id":"200200200"}],)"
                        R"("apps":[{"id":"1111111111"},{"id":"2222222222"}],"faults":)" +
                        every + "}";
    auto parsed = parseConfig(world);
    REQUIRE(parsed);
    c.faults = parsed->faults;
  });
  CHECK(faultsJson(from_config.emu->faults()) == expected);
  CHECK(control(*from_config.emu, "GET", "/_emulator/faults")->body == expected);
  // The control-API form.
  Fixture from_api;
  auto set = control(*from_api.emu, "POST", "/_emulator/faults", every);
  REQUIRE(set);
  CHECK(set->status == 200);
  CHECK(set->body == expected);
}

// --- Graph: the next K matching calls -------------------------------------------------------

TEST_CASE("faults: a rule's path matches with or without the API version", "[concurrency]") {
  Fixture f;
  REQUIRE(f.emu->setFaults(faults(R"({"graph":[{"path":"/me/messages","error":"transient"},)"
                                  R"({"path":"/me/thread_owner","error":"transient"}]})")));
  auto bot = f.routingBot();  // calls /vNN.N/me/...
  auto owner = bot.getThreadOwner(kUser);
  REQUIRE_FALSE(owner);
  CHECK(owner.error().code == 2);
  const auto left = f.emu->faults().graph;
  REQUIRE(left.size() == 1);
  CHECK(left[0].path == "/me/messages");  // a path that did not match is not spent
  CHECK(bot.getThreadOwner(kUser));
  CHECK(emulator::detail::pathMatches("/v19.0/me/messages", "/v19.0/me/messages"));
  CHECK(emulator::detail::pathMatches("/me/messages", "/v19.0/me/messages"));
  CHECK_FALSE(emulator::detail::pathMatches("/messages", "/v19.0/me/messages"));
  CHECK_FALSE(emulator::detail::pathMatches("/me/messages", "/v19.0/me/messages_x"));
}

TEST_CASE("faults: the next K matching calls answer not_owner then the calls work again",
          "[concurrency]") {
  Fixture f;
  REQUIRE(f.emu->setFaults(faults(R"({"graph":[{"method":"POST","edge":"pass_thread_control",)"
                                  R"("app_id":"1111111111","count":2,"error":"not_owner"}]})")));
  auto bot = f.routingBot();
  f.userSays(kRoutingPage, "hi");
  auto other_edge = bot.getThreadOwner(kUser);  // does not match: answered normally
  REQUIRE(other_edge);
  for (int i = 0; i < 2; ++i) {
    auto r = bot.passThreadControl(kUser, kAgent, "escalate");
    REQUIRE_FALSE(r);
    CHECK(r.error().isAnotherAppControllingThread());
    CHECK(r.error().http_status == 400);
    CHECK(f.ownerOf(kRoutingPage).empty());  // not applied: still idle
  }
  CHECK(f.emu->faults().graph.empty());  // spent
  REQUIRE(bot.passThreadControl(kUser, kAgent, "escalate"));
  CHECK(f.ownerOf(kRoutingPage) == kAgent);
}

TEST_CASE("faults: rate_limit transient invalid_token and custom answer their Graph errors",
          "[concurrency]") {
  Fixture f;
  REQUIRE(f.emu->setFaults(
      faults(R"({"graph":[{"edge":"thread_owner","error":"rate_limit","retry_after_s":42},)"
             R"({"edge":"thread_owner","error":"transient"},)"
             R"({"edge":"thread_owner","error":"invalid_token"},)"
             R"({"edge":"thread_owner","error":"custom","status":403,"code":200,)"
             R"("subcode":2018028,"message":"(#200) app not live"}]})")));
  auto bot = f.routingBot();
  auto limited = bot.getThreadOwner(kUser);
  REQUIRE_FALSE(limited);
  CHECK(limited.error().code == 613);
  CHECK(limited.error().isRateLimited());
  REQUIRE(limited.error().retry_after);
  CHECK(*limited.error().retry_after == std::chrono::seconds(42));
  auto transient = bot.getThreadOwner(kUser);
  REQUIRE_FALSE(transient);
  CHECK(transient.error().code == 2);
  CHECK(transient.error().http_status == 500);
  CHECK(transient.error().isRetryable());
  auto token = bot.getThreadOwner(kUser);
  REQUIRE_FALSE(token);
  CHECK(token.error().isInvalidToken());
  auto custom = bot.getThreadOwner(kUser);
  REQUIRE_FALSE(custom);
  CHECK(custom.error().http_status == 403);
  CHECK(custom.error().code == 200);
  CHECK(custom.error().subcode == 2018028);
  CHECK(custom.error().message == "(#200) app not live");
  CHECK(bot.getThreadOwner(kUser));  // all spent
  // Each injected answer is on the timeline like any Graph call.
  std::size_t faulted = 0;
  for (const auto& e : entries(*f.emu, "graph")) faulted += e["status"].GetInt() != 200 ? 1 : 0;
  CHECK(faulted == 4);
}

TEST_CASE("faults: close_connection drops the connection before an answer and applies nothing",
          "[concurrency]") {
  Fixture f;
  REQUIRE(f.emu->setFaults(faults(R"({"graph":[{"edge":"take_thread_control",)"
                                  R"("error":"close_connection"}]})")));
  f.userSays(kRoutingPage, "hi");
  auto agent = f.routingAgent();
  REQUIRE(agent.takeThreadControl(kUser).error().category == ErrorCategory::kTransport);
  CHECK(f.ownerOf(kRoutingPage).empty());  // idle, as before
  const auto graph = entries(*f.emu, "graph");
  REQUIRE_FALSE(graph.empty());
  CHECK(std::string(graph.back()["fault"].GetString()) == "close_connection");
  REQUIRE(agent.takeThreadControl(kUser));  // the next one is answered
  CHECK(f.ownerOf(kRoutingPage) == kAgent);
}

// --- Graph: per-token rate limits ------------------------------------------------------------

TEST_CASE("faults: a per-token budget throttles past its calls until the window ends",
          "[concurrency]") {
  Fixture f;
  REQUIRE(f.emu->setFaults(
      faults(R"({"rate_limits":[{"app_id":"1111111111","calls":3,"window_ms":60000}]})")));
  auto bot = f.routingBot();
  for (int i = 0; i < 3; ++i) REQUIRE(bot.getThreadOwner(kUser));
  auto over = bot.getThreadOwner(kUser);
  REQUIRE_FALSE(over);
  CHECK(over.error().code == 613);
  CHECK(over.error().isRateLimited());
  REQUIRE(over.error().retry_after);
  CHECK(*over.error().retry_after <= std::chrono::seconds(60));
  CHECK(*over.error().retry_after >= std::chrono::seconds(1));
  // Another token has its own budget; the bot's other page token too.
  CHECK(f.routingAgent().getThreadOwner(kUser));
  CHECK(f.legacyBot().getThreadOwner(kUser));
  // The window is on the emulator's clock.
  REQUIRE(f.emu->advanceClock(std::chrono::seconds(61)));
  CHECK(bot.getThreadOwner(kUser));
}

TEST_CASE("faults: a Messenger BUC limit answers 80006 with the time to regain access",
          "[concurrency]") {
  Fixture f;
  REQUIRE(
      f.emu->setFaults(faults(R"({"rate_limits":[{"calls":1,"window_ms":600000,"code":80006}]})")));
  auto bot = f.routingBot();
  REQUIRE(bot.getThreadOwner(kUser));
  auto over = bot.getThreadOwner(kUser);
  REQUIRE_FALSE(over);
  CHECK(over.error().code == 80006);
  REQUIRE(over.error().retry_after);
  // estimated_time_to_regain_access is in minutes: 10 minutes left, read by the client.
  CHECK(*over.error().retry_after == std::chrono::minutes(10));
}

// --- Graph: a Page with the handover APIs disabled -------------------------------------------

TEST_CASE("faults: a page with the handover APIs disabled refuses take but allows pass",
          "[concurrency]") {
  Fixture f([](Config& c) { c.faults.handover_disabled_pages = {kRoutingPage}; });
  f.userSays(kRoutingPage, "hi");
  auto agent = f.routingAgent();
  auto take = agent.takeThreadControl(kUser);
  REQUIRE_FALSE(take);
  CHECK(take.error().isHandoverProtocolDisabled());
  auto request = agent.requestThreadControl(kUser);
  REQUIRE_FALSE(request);
  CHECK(request.error().isHandoverProtocolDisabled());
  REQUIRE(f.routingBot().passThreadControl(kUser, kAgent));
  CHECK(f.ownerOf(kRoutingPage) == kAgent);
  REQUIRE(agent.releaseThreadControl(kUser));
  // The other page is unaffected.
  f.userSays(kLegacyPage, "hi");
  CHECK(f.legacyAgent().requestThreadControl(kUser));
}

// --- Lead-Gen hop_context --------------------------------------------------------------------

TEST_CASE("faults: lead_gen routes a new conversation through the Lead-Gen app with hop_context",
          "[concurrency]") {
  Fixture f([](Config& c) { c.faults.lead_gen = {{kRoutingPage, kAgent, true}}; });
  f.userSays(kRoutingPage, "I filled in the form");
  CHECK(f.ownerOf(kRoutingPage) == kAgent);
  auto events = f.agent_hook.waitForEvents(2);
  auto passes = ofKind(events, webhook::EventKind::kPassThreadControl);
  REQUIRE(passes.size() == 1);
  const auto& pass = *passes[0].get<webhook::PassThreadControl>();
  CHECK(pass.previous_owner_app_id == std::string(kLeadGenAppId));
  CHECK(pass.new_owner_app_id == kAgent);
  CHECK(pass.metadata == "messenger_lead_gen_complete");
  CHECK(texts(events) == std::vector<std::string>{"I filled in the form"});
  bool hop = false;
  for (const auto& body : f.agent_hook.bodies()) {
    hop = hop || body.find(R"("hop_context":[{"app_id":413038776280800,)"
                           R"("metadata":"messenger_lead_gen_complete"}])") != std::string::npos;
  }
  CHECK(hop);
  // Only new conversations: the next message stays with the owner, with no second pass.
  f.userSays(kRoutingPage, "still me");
  events = f.agent_hook.waitForEvents(3);
  CHECK(ofKind(events, webhook::EventKind::kPassThreadControl).size() == 1);
  // The control API's pass, for a chosen user, incomplete this time.
  auto r = control(*f.emu, "POST", "/_emulator/leadgen/pass",
                   R"({"page_id":"200200200","user_id":"42","target_app_id":"1111111111",)"
                   R"("complete":false})");
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(f.ownerOf(kRoutingPage, "42") == kBot);
  bool incomplete = false;
  for (const auto& e : f.bot_hook.waitForEvents(3)) {
    if (const auto* p = e.get<webhook::PassThreadControl>()) {
      incomplete = incomplete || p->metadata == "messenger_lead_gen_incomplete";
    }
  }
  CHECK(incomplete);
}

// --- deliveries --------------------------------------------------------------------------------

TEST_CASE("faults: drop_rate loses events on record and the same seed loses the same ones",
          "[concurrency]") {
  auto lost_texts = [](std::uint64_t seed) {
    Fixture f([seed](Config& c) {
      c.faults.seed = seed;
      c.faults.delivery.drop_rate = 0.5;
      c.faults.delivery.apps = {kAgent};
    });
    for (int i = 0; i < 20; ++i) f.userSays(kRoutingPage, "m" + std::to_string(i));
    REQUIRE(f.emu->waitForDeliveries(kWait));
    std::vector<std::string> lost;
    for (const auto& e : entries(*f.emu, "delivery")) {
      if (std::string(e["outcome"].GetString()) != "lost") continue;
      lost.push_back(e["body"]["entry"][0]["standby"][0]["message"]["text"].GetString());
    }
    const auto got = texts(f.agent_hook.events());
    CHECK(got.size() + lost.size() == 20);           // every event either arrived or is on record
    CHECK(texts(f.bot_hook.events()).size() == 20);  // the bot is not in `apps`
    return lost;
  };
  const auto first = lost_texts(11);
  CHECK_FALSE(first.empty());
  CHECK(first.size() < 20);
  CHECK(lost_texts(11) == first);
}

TEST_CASE("faults: duplicate_rate 1 delivers every batch twice with the same signature",
          "[concurrency]") {
  Fixture f([](Config& c) {
    c.faults.delivery.duplicate_rate = 1;
    c.faults.delivery.apps = {kBot};
  });
  f.userSays(kRoutingPage, "once");
  REQUIRE(f.bot_hook.waitForPosts(2));
  REQUIRE(f.emu->waitForDeliveries(kWait));
  CHECK(texts(f.bot_hook.events()) == std::vector<std::string>{"once", "once"});
  const auto bodies = f.bot_hook.bodies();
  REQUIRE(bodies.size() == 2);
  CHECK(bodies[0] == bodies[1]);
  std::vector<std::string> outcomes;
  for (const auto& e : entries(*f.emu, "delivery")) {
    if (e["app_id"].GetString() == std::string(kBot)) outcomes.push_back(e["outcome"].GetString());
  }
  CHECK(outcomes == std::vector<std::string>{"delivered", "duplicate"});
  CHECK(texts(f.agent_hook.events()) == std::vector<std::string>{"once"});
}

TEST_CASE("faults: delay_ms holds every POST at least that long", "[concurrency]") {
  Fixture f([](Config& c) {
    c.faults.delivery.delay = std::chrono::milliseconds(300);
    c.faults.delivery.apps = {kBot};
  });
  const auto sent = std::chrono::steady_clock::now();
  f.userSays(kRoutingPage, "later");
  REQUIRE(f.bot_hook.waitForEvents(1).size() == 1);
  CHECK(std::chrono::steady_clock::now() - sent >= std::chrono::milliseconds(300));
}

TEST_CASE("faults: reorder_window shuffles the queue head and a seed repeats the order",
          "[concurrency]") {
  auto order = [](std::uint64_t seed) {
    Fixture f([seed](Config& c) {
      c.delivery.max_batch = 1;
      c.faults.seed = seed;
      // The delay lets all eight queue up before the first cut: the draws are then the seed's.
      c.faults.delivery.delay = std::chrono::milliseconds(100);
      c.faults.delivery.reorder_window = 8;
      c.faults.delivery.apps = {kAgent};
    });
    std::vector<std::string> said;
    for (int i = 0; i < 8; ++i) {
      said.push_back("m" + std::to_string(i));
      f.userSays(kRoutingPage, said.back());
    }
    REQUIRE(f.emu->waitForDeliveries(kWait));
    auto got = texts(f.agent_hook.events());
    auto sorted = got;
    std::sort(sorted.begin(), sorted.end());
    CHECK(sorted == said);  // each exactly once
    CHECK(got != said);     // but not in the order said
    CHECK(texts(f.bot_hook.events()) == said);
    return got;
  };
  CHECK(order(3) == order(3));
}

TEST_CASE("faults: batch_size holds events until that many are queued then POSTs them at once",
          "[concurrency]") {
  Fixture f([](Config& c) {
    c.faults.delivery.batch_size = 3;
    c.faults.delivery.batch_wait = std::chrono::seconds(30);
    c.faults.delivery.apps = {kAgent};
  });
  for (int i = 0; i < 3; ++i) f.userSays(kRoutingPage, "m" + std::to_string(i));
  REQUIRE(f.emu->waitForDeliveries(kWait));
  CHECK(texts(f.agent_hook.events()) == std::vector<std::string>{"m0", "m1", "m2"});
  CHECK(f.agent_hook.bodies().size() == 1);
  // A partial batch goes once batch_wait has passed.
  REQUIRE(f.emu->setFaults(faults(R"({"delivery":{"batch_size":5,"batch_wait_ms":200,)"
                                  R"("apps":["2222222222"]}})")));
  f.userSays(kRoutingPage, "alone");
  REQUIRE(f.emu->waitForDeliveries(kWait));
  CHECK(texts(f.agent_hook.events()).size() == 4);
}

TEST_CASE("faults: an answer past answer_deadline_ms counts as failed and is sent again",
          "[concurrency]") {
  Fixture f([](Config& c) {
    c.faults.delivery.answer_deadline = std::chrono::milliseconds(50);
    c.faults.delivery.apps = {kAgent};
  });
  f.agent_hook.setSlow(std::chrono::milliseconds(400));
  f.userSays(kRoutingPage, "slow");
  REQUIRE(f.agent_hook.waitForPosts(1));
  f.agent_hook.setSlow(std::chrono::milliseconds(0));
  REQUIRE(f.emu->waitForDeliveries(kWait));
  CHECK(texts(f.agent_hook.events()) == std::vector<std::string>{"slow"});
  bool late = false;
  for (const auto& e : entries(*f.emu, "delivery")) {
    if (!e.HasMember("error")) continue;
    late = late || std::string(e["error"].GetString()).find("past the answer deadline of 50 ms") !=
                       std::string::npos;
  }
  CHECK(late);
}

TEST_CASE("faults: retry_jitter spreads the retry waits above the backoff", "[concurrency]") {
  auto waits = [](double jitter) {
    Fixture f([jitter](Config& c) {
      c.faults.delivery.retry_jitter = jitter;
      c.faults.delivery.apps = {kAgent};
    });
    f.agent_hook.setDown(true);
    f.userSays(kRoutingPage, "retry me");
    REQUIRE(f.agent_hook.waitForPosts(5));
    f.agent_hook.setDown(false);
    REQUIRE(f.emu->waitForDeliveries(kWait));
    std::vector<std::int64_t> out;
    for (const auto& e : entries(*f.emu, "delivery")) {
      if (e.HasMember("retry_in_ms")) out.push_back(e["retry_in_ms"].GetInt64());
    }
    return out;
  };
  // The fixture's backoff: 10 ms doubled per attempt, at most 50 ms.
  const auto plain = waits(0);
  REQUIRE(plain.size() >= 4);
  CHECK(std::vector<std::int64_t>(plain.begin(), plain.begin() + 4) ==
        std::vector<std::int64_t>{10, 20, 40, 50});
  const auto spread = waits(1);
  REQUIRE(spread.size() >= 4);
  bool above = false;
  const std::int64_t base[] = {10, 20, 40, 50};
  for (std::size_t i = 0; i < 4; ++i) {
    CHECK(spread[i] >= base[i]);
    CHECK(spread[i] <= 2 * base[i]);
    above = above || spread[i] > base[i];
  }
  CHECK(above);
}
