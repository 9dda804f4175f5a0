// What the web inspector reads and does: the world, every conversation with its chat and
// ownership history, redelivery of a recorded delivery, and the compiled-in assets.
#include <httplib.h>
#include <rapidjson/document.h>

#include <string>

#include "catch.hpp"
#include "fixture.hpp"

using namespace handover;
using namespace handover::emulator;
using namespace handover::emulator::testing;

namespace {

const rapidjson::Value* conversationOf(const rapidjson::Document& all, const char* page,
                                       const std::string& user) {
  for (const auto& c : all.GetArray()) {
    if (std::string(c["page_id"].GetString()) == page && c["user_id"].GetString() == user) {
      return &c;
    }
  }
  return nullptr;
}

}  // namespace

TEST_CASE("inspector api: the world lists pages roles inboxes and apps") {
  Fixture f;
  httplib::Client http(f.emu->baseUrl());
  auto r = http.Get("/_emulator/world");
  REQUIRE(r);
  REQUIRE(r->status == 200);
  auto w = json(r->body);
  REQUIRE_FALSE(w.HasParseError());
  REQUIRE(w["pages"].Size() == 2);
  const auto& routing = w["pages"][1];
  CHECK(std::string(routing["id"].GetString()) == kRoutingPage);
  CHECK(std::string(routing["era"].GetString()) == "routing");
  CHECK(std::string(routing["default_app_id"].GetString()) == kBot);
  CHECK(std::string(routing["inbox_app_id"].GetString()) == std::string(kPageInboxAppId));
  CHECK(std::string(routing["roles"][kAgent].GetString()) == "secondary");
  CHECK(w["apps"].Size() == 3);
  CHECK(w["apps"][0]["webhook"].GetBool());
  CHECK_FALSE(w["apps"][2]["webhook"].GetBool());
  CHECK(r->body.find("secret") == std::string::npos);
  CHECK(r->body.find("token") == std::string::npos);
}

TEST_CASE("inspector api: a conversation has its chat and every ownership change with its cause") {
  Fixture f;
  f.userSays(kRoutingPage, "hi");
  auto bot = f.routingBot();
  REQUIRE(bot.sendText(kUser, "pick one"));
  REQUIRE(bot.passThreadControl(kUser, kAgent, "to a human"));
  REQUIRE(f.routingAgent().extendThreadControl(kUser, std::chrono::hours(48)));
  REQUIRE(f.emu->inboxReply(kRoutingPage, kUser, "a human here"));
  REQUIRE(f.emu->advanceClock(std::chrono::hours(25)));
  f.userSays(kRoutingPage, "still there?");  // applies the lapse of the inbox's control

  httplib::Client http(f.emu->baseUrl());
  auto r = http.Get("/_emulator/conversations");
  REQUIRE(r);
  auto all = json(r->body);
  REQUIRE_FALSE(all.HasParseError());
  const auto* c = conversationOf(all, kRoutingPage, kUser);
  REQUIRE(c != nullptr);
  const auto& chat = (*c)["chat"];
  REQUIRE(chat.Size() == 4);
  CHECK(std::string(chat[0]["from"].GetString()) == "user");
  CHECK(std::string(chat[1]["from"].GetString()) == kBot);
  CHECK(std::string(chat[1]["text"].GetString()) == "pick one");
  CHECK(std::string(chat[2]["from"].GetString()) == std::string(kPageInboxAppId));
  CHECK(std::string(chat[3]["text"].GetString()) == "still there?");
  const auto& history = (*c)["history"];
  REQUIRE(history.Size() == 4);
  CHECK(std::string(history[0]["cause"].GetString()) == "pass");
  CHECK(std::string(history[0]["owner"].GetString()) == kAgent);
  CHECK(std::string(history[1]["cause"].GetString()) == "extend");
  CHECK(history[1]["expiration_ms"].GetInt64() > history[0]["expiration_ms"].GetInt64());
  CHECK(std::string(history[2]["cause"].GetString()) == "inbox_reply");
  CHECK(std::string(history[3]["cause"].GetString()) == "expired");
  CHECK(std::string(history[3]["owner"].GetString()).empty());
  CHECK(history[3]["time_ms"].GetInt64() == history[2]["expiration_ms"].GetInt64());
  CHECK(std::string((*c)["owner"].GetString()).empty());
}

TEST_CASE("inspector api: quick replies and templates of an app message reach the chat as sent") {
  Fixture f;
  f.userSays(kRoutingPage, "hi");
  httplib::Client http(f.emu->baseUrl());
  const httplib::Headers auth{{"Authorization", "Bearer bot-routing-token"}};
  auto sent = http.Post("/v26.0/me/messages", auth,
                        R"({"recipient":{"id":")" + std::string(kUser) +
                            R"("},"message":{"text":"Size?","quick_replies":[)"
                            R"({"content_type":"text","title":"Small","payload":"S"}]}})",
                        "application/json");
  REQUIRE(sent);
  REQUIRE(sent->status == 200);
  auto r = http.Get("/_emulator/conversations");
  REQUIRE(r);
  auto all = json(r->body);
  const auto* c = conversationOf(all, kRoutingPage, kUser);
  REQUIRE(c != nullptr);
  const auto& last = (*c)["chat"][(*c)["chat"].Size() - 1];
  REQUIRE(last.HasMember("quick_replies"));
  CHECK(std::string(last["quick_replies"][0]["payload"].GetString()) == "S");
}

TEST_CASE("inspector api: a recorded delivery can be sent again and carries its signature") {
  Fixture f;
  f.userSays(kRoutingPage, "once");
  REQUIRE(f.bot_hook.waitForEvents(1).size() == 1);
  httplib::Client http(f.emu->baseUrl());
  auto timeline = http.Get("/_emulator/timeline?kind=delivery&app=" + std::string(kBot));
  REQUIRE(timeline);
  auto entries = json(timeline->body);
  REQUIRE(entries.Size() >= 1);
  const auto& first = entries[0];
  CHECK(std::string(first["signature"].GetString()).rfind("sha256=", 0) == 0);
  CHECK(first["latency_ms"].IsInt64());
  const std::uint64_t seq = first["seq"].GetUint64();
  auto again = http.Post("/_emulator/deliveries/redeliver", "{\"seq\":" + std::to_string(seq) + "}",
                         "application/json");
  REQUIRE(again);
  CHECK(again->status == 200);
  CHECK(again->body == "{\"redelivered\":1}");
  auto events = f.bot_hook.waitForEvents(2);
  REQUIRE(events.size() == 2);
  CHECK(events[0].get<webhook::Message>()->mid == events[1].get<webhook::Message>()->mid);
  for (const char* bad : {R"({"seq":999999})", R"({"seq":"x"})", R"({})"}) {
    INFO(bad);
    auto r = http.Post("/_emulator/deliveries/redeliver", bad, "application/json");
    REQUIRE(r);
    CHECK(r->status == 400);
  }
}

TEST_CASE("inspector api: the inspector is served from the binary, same-origin only") {
  Fixture f;
  httplib::Client http(f.emu->baseUrl());
  auto redirect = http.Get("/_emulator/ui");
  REQUIRE(redirect);
  CHECK(redirect->status == 302);
  for (const char* path : {"/_emulator/ui/", "/_emulator/ui/app.js", "/_emulator/ui/style.css"}) {
    INFO(path);
    auto r = http.Get(path);
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(r->body.size() > 500);
    CHECK(r->get_header_value("Content-Security-Policy").find("default-src 'self'") !=
          std::string::npos);
    // Nothing is fetched from the network: no absolute URL in any asset.
    CHECK(r->body.find("http://") == std::string::npos);
    CHECK(r->body.find("https://") == std::string::npos);
  }
  auto html = http.Get("/_emulator/ui/");
  REQUIRE(html);
  CHECK(html->get_header_value("Content-Type").find("text/html") == 0);
  CHECK(html->body.find("/_emulator/ui/app.js") != std::string::npos);
}

TEST_CASE("inspector api: conversations since a cursor carry only the threads that changed") {
  Fixture f;
  f.userSays(kRoutingPage, "hi");
  httplib::Client http(f.emu->baseUrl());
  auto first = http.Get("/_emulator/conversations?since=0&since_ms=0");
  REQUIRE(first);
  REQUIRE(first->status == 200);
  auto a = json(first->body);
  REQUIRE(a.IsObject());
  REQUIRE(a["conversations"].Size() == 1);
  CHECK(a["conversations"][0]["chat_dropped"].GetUint64() == 0);
  const std::string cursor = "since=" + std::to_string(a["version"].GetUint64()) +
                             "&since_ms=" + std::to_string(a["now_ms"].GetInt64());

  auto quiet = http.Get("/_emulator/conversations?" + cursor);
  REQUIRE(quiet);
  CHECK(json(quiet->body)["conversations"].Size() == 0);

  f.userSays(kLegacyPage, "elsewhere");
  auto next = http.Get("/_emulator/conversations?" + cursor);
  REQUIRE(next);
  auto b = json(next->body);
  REQUIRE(b["conversations"].Size() == 1);
  CHECK(std::string(b["conversations"][0]["page_id"].GetString()) == kLegacyPage);

  for (const char* bad : {"since=x&since_ms=0", "since=1", "since=-1&since_ms=0"}) {
    auto r = http.Get(std::string("/_emulator/conversations?") + bad);
    REQUIRE(r);
    CHECK(r->status == 400);
    CHECK(r->body.find("since_ms") != std::string::npos);
  }
  // Without a cursor the answer stays the whole array, as before.
  auto whole = http.Get("/_emulator/conversations");
  REQUIRE(whole);
  CHECK(json(whole->body).IsArray());
}
