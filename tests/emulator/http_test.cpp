// The emulator on the wire: raw HTTP requests, Graph error bodies, auth, the control API.
#include <httplib.h>
#include <rapidjson/document.h>

#include "catch.hpp"
#include "core/crypto.hpp"
#include "fixture.hpp"

using namespace handover;
using namespace handover::emulator;
using namespace handover::emulator::testing;
using handover::detail::appSecretProof;

namespace {

httplib::Headers bearer(const std::string& token) {
  return {{"Authorization", "Bearer " + token}};
}

}  // namespace

TEST_CASE("http: refusals are real Graph error bodies") {
  Fixture f;
  httplib::Client http(f.emu->baseUrl());
  REQUIRE(f.routingBot().passThreadControl(kUser, kAgent));
  auto res = http.Post("/v26.0/me/messages", bearer("bot-routing-token"),
                       R"({"recipient":{"id":"6543210987654321"},"message":{"text":"hi"}})",
                       "application/json");
  REQUIRE(res);
  CHECK(res->status == 400);
  auto doc = json(res->body);
  REQUIRE(doc.HasMember("error"));
  const auto& e = doc["error"];
  CHECK(std::string(e["message"].GetString()) ==
        "(#10) Message failed to send because another app is controlling this thread now.");
  CHECK(std::string(e["type"].GetString()) == "OAuthException");
  CHECK(e["code"].GetInt() == 10);
  CHECK(e["error_subcode"].GetInt() == 2018300);
  CHECK(e["fbtrace_id"].IsString());
}

TEST_CASE("http: tokens appsecret_proof and unknown objects") {
  Fixture f;
  httplib::Client http(f.emu->baseUrl());
  const std::string path =
      std::string("/v26.0/") + kRoutingPage + "/thread_owner?recipient=" + kUser;

  auto none = http.Get(path.c_str());
  REQUIRE(none);
  CHECK(json(none->body)["error"]["code"].GetInt() == 104);
  auto bad = http.Get(path.c_str(), bearer("nope"));
  REQUIRE(bad);
  CHECK(json(bad->body)["error"]["code"].GetInt() == 190);
  CHECK(bad->body.find("nope") == std::string::npos);

  // Token as a query parameter, like Graph accepts.
  auto query = http.Get((path + "&access_token=bot-routing-token").c_str());
  REQUIRE(query);
  CHECK(query->status == 200);
  CHECK(query->body == "{\"data\":[]}");

  // The agent requires appsecret_proof.
  auto missing = http.Get(path.c_str(), bearer("agent-routing-token"));
  REQUIRE(missing);
  CHECK(json(missing->body)["error"]["code"].GetInt() == 100);
  auto wrong =
      http.Get((path + "&appsecret_proof=" + appSecretProof("agent-routing-token", "x")).c_str(),
               bearer("agent-routing-token"));
  REQUIRE(wrong);
  CHECK(json(wrong->body)["error"]["code"].GetInt() == 100);
  auto right = http.Get(
      (path + "&appsecret_proof=" + appSecretProof("agent-routing-token", "agent-secret")).c_str(),
      bearer("agent-routing-token"));
  REQUIRE(right);
  CHECK(right->status == 200);

  // A page the token does not belong to, and an unknown edge.
  auto other =
      http.Get((std::string("/v26.0/") + kLegacyPage + "/thread_owner?recipient=1").c_str(),
               bearer("bot-routing-token"));
  REQUIRE(other);
  CHECK(json(other->body)["error"]["code"].GetInt() == 100);
  CHECK(json(other->body)["error"]["error_subcode"].GetInt() == 33);
  auto edge = http.Get("/v26.0/me/nonsense", bearer("bot-routing-token"));
  REQUIRE(edge);
  CHECK(json(edge->body)["error"]["code"].GetInt() == 2500);
}

TEST_CASE("http: parameters as JSON as form/query with JSON-encoded recipient") {
  Fixture f;
  httplib::Client http(f.emu->baseUrl());
  // recipient must be an object on POST edges (FN1's bug case is refused).
  auto plain = http.Post("/v26.0/me/take_thread_control", bearer("bot-routing-token"),
                         R"({"recipient":"6543210987654321"})", "application/json");
  REQUIRE(plain);
  CHECK(plain->status == 400);
  CHECK(json(plain->body)["error"]["code"].GetInt() == 100);

  httplib::Params form{{"recipient", R"({"id":"6543210987654321"})"},
                       {"target_app_id", kAgent},
                       {"metadata", "form"}};
  auto res = http.Post("/v26.0/me/pass_thread_control", bearer("bot-routing-token"), form);
  REQUIRE(res);
  CHECK(res->body == "{\"success\":true}");
  CHECK(f.ownerOf(kRoutingPage) == kAgent);

  // Numeric ids in JSON are read exactly (no double): a PSID beyond 2^53.
  auto big = http.Post("/v26.0/me/take_thread_control", bearer("bot-routing-token"),
                       R"({"recipient":{"id":9007199254740993}})", "application/json");
  REQUIRE(big);
  CHECK(big->status == 200);
  CHECK(f.ownerOf(kRoutingPage, "9007199254740993") == kBot);

  // Extend beyond 7 days, sent raw (the SDK refuses it before sending).
  auto extend =
      http.Post("/v26.0/me/extend_thread_control", bearer("bot-routing-token"),
                R"({"recipient":{"id":"9007199254740993"},"duration":604801})", "application/json");
  REQUIRE(extend);
  CHECK(extend->status == 400);
  CHECK(json(extend->body)["error"]["code"].GetInt() == 100);
  auto ok =
      http.Post("/v26.0/me/extend_thread_control", bearer("bot-routing-token"),
                R"({"recipient":{"id":"9007199254740993"},"duration":604800})", "application/json");
  REQUIRE(ok);
  CHECK(ok->status == 200);
}

TEST_CASE("http: control API drives the world and the timeline hides secrets") {
  Fixture f;
  httplib::Client http(f.emu->baseUrl());
  auto msg = http.Post("/_emulator/user/message",
                       R"({"page_id":"200200200","user_id":"1000000000000001","text":"over http"})",
                       "application/json");
  REQUIRE(msg);
  CHECK(msg->status == 200);
  CHECK(json(msg->body)["mid"].IsString());
  auto events = f.bot_hook.waitForEvents(1);
  REQUIRE(events.size() == 1);
  CHECK(events[0].userId() == "1000000000000001");

  auto bad = http.Post("/_emulator/inbox/move",
                       R"({"page_id":"200200200","user_id":"1000000000000001","folder":"x"})",
                       "application/json");
  REQUIRE(bad);
  CHECK(bad->status == 400);
  REQUIRE(http.Post("/_emulator/inbox/move",
                    R"({"page_id":"200200200","user_id":"1000000000000001","folder":"main"})",
                    "application/json"));
  auto thread = http.Get("/_emulator/threads/200200200/1000000000000001");
  REQUIRE(thread);
  CHECK(std::string(json(thread->body)["owner_app_id"].GetString()) == kPageInboxAppId);

  const std::int64_t before = epochMillis(f.emu->now());
  auto adv = http.Post("/_emulator/clock/advance", R"({"seconds":90000})", "application/json");
  REQUIRE(adv);
  CHECK(json(adv->body)["now_ms"].GetInt64() >= before + 90'000'000);
  thread = http.Get("/_emulator/threads/200200200/1000000000000001");
  CHECK(json(thread->body)["owner_app_id"].IsNull());

  REQUIRE(http.Post("/_emulator/default_app", R"({"page_id":"200200200","app_id":""})",
                    "application/json"));
  auto take = f.routingBot().takeThreadControl("1000000000000001");
  REQUIRE_FALSE(take);
  CHECK(take.error().code == 27);
  REQUIRE(f.routingAgent().getThreadOwner("1000000000000001"));  // sends appsecret_proof

  auto timeline = http.Get("/_emulator/timeline");
  REQUIRE(timeline);
  auto doc = json(timeline->body);
  REQUIRE(doc.IsArray());
  bool saw_graph = false, saw_delivery = false, saw_control = false;
  for (const auto& r : doc.GetArray()) {
    const std::string kind = r["kind"].GetString();
    saw_graph = saw_graph || kind == "graph";
    saw_delivery = saw_delivery || kind == "delivery";
    saw_control = saw_control || kind == "control";
  }
  CHECK(saw_graph);
  CHECK(saw_delivery);
  CHECK(saw_control);
  for (const char* secret :
       {"bot-routing-token", "agent-routing-token", "agent-secret", "bot-secret"}) {
    CHECK(timeline->body.find(secret) == std::string::npos);
  }
  CHECK(timeline->body.find(appSecretProof("agent-routing-token", "agent-secret")) ==
        std::string::npos);
}

TEST_CASE("http: secondary_receivers and personas page with Graph cursors") {
  Fixture f;
  auto bot = f.legacyBot();
  GetSecondaryReceiversRequest first_page;
  first_page.limit = 1;
  auto p1 = bot.getSecondaryReceivers(first_page);
  REQUIRE(p1);
  REQUIRE(p1->apps.size() == 1);
  CHECK(p1->apps[0].id == kAgent);
  REQUIRE_FALSE(p1->next_cursor.empty());
  GetSecondaryReceiversRequest second_page;
  second_page.limit = 1;
  second_page.after = p1->next_cursor;
  auto p2 = bot.getSecondaryReceivers(second_page);
  REQUIRE(p2);
  REQUIRE(p2->apps.size() == 1);
  CHECK(p2->apps[0].id == std::string(kPageInboxAppId));
  CHECK(p2->next_cursor.empty());

  auto routing = f.routingBot();
  for (const char* name : {"Anna", "Sam", "Lee"})
    REQUIRE(routing.createPersona({name, "https://example.com/p.png"}));
  ListPersonasRequest list;
  list.limit = 2;
  auto l1 = routing.listPersonas(list);
  REQUIRE(l1);
  CHECK(l1->personas.size() == 2);
  REQUIRE_FALSE(l1->next_cursor.empty());
  list.after = l1->next_cursor;
  auto l2 = routing.listPersonas(list);
  REQUIRE(l2);
  REQUIRE(l2->personas.size() == 1);
  CHECK(l2->personas[0].name == "Lee");
  CHECK(l2->next_cursor.empty());

  httplib::Client http(f.emu->baseUrl());
  auto bad = http.Get("/v26.0/me/personas?after=x", bearer("bot-routing-token"));
  REQUIRE(bad);
  CHECK(json(bad->body)["error"]["code"].GetInt() == 100);
  auto raw = http.Get("/v26.0/me/personas?limit=1", bearer("bot-routing-token"));
  REQUIRE(raw);
  CHECK(raw->body.find("bot-routing-token") == std::string::npos);
  CHECK(json(raw->body)["paging"]["next"].IsString());
}

TEST_CASE("http: the timeline filters by seq, kind and app") {
  Fixture f;
  httplib::Client http(f.emu->baseUrl());
  f.userSays(kRoutingPage, "hello");
  REQUIRE(f.emu->waitForDeliveries(std::chrono::seconds(10)));
  REQUIRE(f.routingBot().passThreadControl(kUser, kAgent));
  REQUIRE(f.emu->waitForDeliveries(std::chrono::seconds(10)));

  auto all = json(http.Get("/_emulator/timeline")->body);
  REQUIRE(all.IsArray());
  REQUIRE(all.Size() >= 4);
  const std::uint64_t mid_seq = all[all.Size() / 2]["seq"].GetUint64();
  auto since = json(http.Get("/_emulator/timeline?since=" + std::to_string(mid_seq))->body);
  REQUIRE(since.IsArray());
  CHECK(since.Size() == all.Size() - all.Size() / 2 - 1);
  for (const auto& e : since.GetArray()) CHECK(e["seq"].GetUint64() > mid_seq);

  auto graph = json(http.Get("/_emulator/timeline?kind=graph")->body);
  REQUIRE(graph.Size() >= 1);
  for (const auto& e : graph.GetArray()) CHECK(std::string(e["kind"].GetString()) == "graph");
  auto agent = json(http.Get(std::string("/_emulator/timeline?kind=delivery&app=") + kAgent)->body);
  REQUIRE(agent.Size() >= 1);
  for (const auto& e : agent.GetArray()) {
    CHECK(std::string(e["kind"].GetString()) == "delivery");
    CHECK(std::string(e["app_id"].GetString()) == kAgent);
  }
  CHECK(json(http.Get("/_emulator/timeline?app=999")->body).Size() == 0);
  auto bad = http.Get("/_emulator/timeline?since=yesterday");
  REQUIRE(bad);
  CHECK(bad->status == 400);
  CHECK(json(bad->body).HasMember("error"));
}

TEST_CASE("http: an unknown control route is a JSON 404 that points to the help") {
  Fixture f;
  httplib::Client http(f.emu->baseUrl());
  std::vector<httplib::Result> answers;
  answers.push_back(http.Get("/_emulator/nope"));
  answers.push_back(http.Post("/_emulator/user/shout", "{}", "application/json"));
  answers.push_back(http.Get("/_emulator"));
  for (const auto& res : answers) {
    REQUIRE(res);
    CHECK(res->status == 404);
    auto doc = json(res->body);
    REQUIRE(doc.HasMember("error"));
    CHECK(std::string(doc["error"]["message"].GetString()).find("/_emulator/help") !=
          std::string::npos);
    CHECK(std::string(doc["error"]["help"].GetString()) == "/_emulator/help");
  }
  auto help = http.Get("/_emulator/help");
  REQUIRE(help);
  CHECK(help->status == 200);
  CHECK(help->body.find("timeline[?since=") != std::string::npos);
}

TEST_CASE("http: passing control to an app that hears nothing is accepted with a warning") {
  Fixture f;
  httplib::Client http(f.emu->baseUrl());
  // The analytics app is installed on the routing page with no webhook_url nor fields.
  REQUIRE(f.routingBot().passThreadControl(kUser, kAnalytics));
  CHECK(f.ownerOf(kRoutingPage) == kAnalytics);
  auto warnings = json(http.Get("/_emulator/timeline?kind=warning")->body);
  REQUIRE(warnings.Size() == 1);
  CHECK(std::string(warnings[0]["app_id"].GetString()) == kAnalytics);
  CHECK(std::string(warnings[0]["message"].GetString()).find("no webhook") != std::string::npos);
  // A pass to a listening app warns about nothing.
  REQUIRE(f.client("analytics-token", kAnalytics).passThreadControl(kUser, kAgent));
  CHECK(json(http.Get("/_emulator/timeline?kind=warning")->body).Size() == 1);
}

TEST_CASE("http: a deeply nested request body is a 400, not a crashed server thread") {
  Fixture f;
  httplib::Client http(f.emu->baseUrl());
  // Two hundred thousand open brackets: a recursive parse would need megabytes of stack.
  const std::string deep(200'000, '[');
  auto graph = http.Post("/v26.0/me/pass_thread_control", bearer("bot-routing-token"), deep,
                         "application/json");
  REQUIRE(graph);
  CHECK(graph->status == 400);
  auto control = http.Post("/_emulator/user/message", deep, "application/json");
  REQUIRE(control);
  CHECK(control->status == 400);
  // A thread_control parameter nested as deep, inside a valid body.
  auto nested = http.Post("/v26.0/me/messages", bearer("bot-routing-token"),
                          R"({"recipient":{"id":"6543210987654321"},"message":{"text":"hi"},)"
                          R"("thread_control":")" +
                              deep + R"("})",
                          "application/json");
  REQUIRE(nested);
  CHECK(nested->status == 400);
  // And the emulator still answers.
  REQUIRE(f.routingBot().passThreadControl(kUser, kAgent));
}
