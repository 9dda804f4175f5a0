// The emulator under hostile input, each case found by an adversarial run against
// `handover emulator`: a NUL inside a header or a body, numbers that overflow, ids and text that
// Graph would refuse, and many apps fighting over one thread at once.
#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <rapidjson/document.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "catch.hpp"
#include "fixture.hpp"

using namespace handover;
using namespace handover::emulator;
using namespace handover::emulator::testing;

namespace {

struct RawAnswer {
  int status = 0;
  std::string body;
};

/// One request written byte for byte (headers may hold a NUL), answer read to the close.
RawAnswer raw(int port, const std::string& head_lines, const std::string& body) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  timeval tv{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  const std::string request = head_lines + "Host: 127.0.0.1\r\nConnection: close\r\n" +
                              "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  for (std::size_t sent = 0; sent < request.size();) {
    const ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    REQUIRE(n > 0);
    sent += static_cast<std::size_t>(n);
  }
  std::string in;
  char buf[4096];
  for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;)
    in.append(buf, static_cast<std::size_t>(n));
  ::close(fd);
  RawAnswer a;
  if (in.rfind("HTTP/1.1 ", 0) == 0) a.status = std::stoi(in.substr(9, 3));
  if (auto at = in.find("\r\n\r\n"); at != std::string::npos) a.body = in.substr(at + 4);
  return a;
}

int graphCode(const std::string& body, const char* field = "code") {
  auto doc = json(body);
  if (doc.HasParseError() || !doc.IsObject() || !doc.HasMember("error")) return -1;
  const auto& e = doc["error"];
  return e.HasMember(field) && e[field].IsInt() ? e[field].GetInt() : 0;
}

constexpr const char* kPass = "POST /v26.0/me/pass_thread_control HTTP/1.1\r\n";
constexpr const char* kJson = "Content-Type: application/json\r\n";

}  // namespace

TEST_CASE("hardening: a NUL inside Authorization does not cut the token short") {
  Fixture f;
  const std::string owner =
      "GET /v26.0/me/thread_owner?recipient=" + std::string(kUser) + " HTTP/1.1\r\n";
  const auto with_nul = raw(
      f.emu->port(),
      owner + "Authorization: Bearer bot-routing-token" + std::string(1, '\0') + "EXTRA\r\n", "");
  CHECK(with_nul.status == 400);
  CHECK(graphCode(with_nul.body) == 190);
  // The same request without the tail authenticates: the refusal is the NUL's doing.
  const auto plain = raw(f.emu->port(), owner + "Authorization: Bearer bot-routing-token\r\n", "");
  CHECK(plain.status == 200);
}

TEST_CASE("hardening: a body with a NUL after valid JSON is not valid JSON") {
  Fixture f;
  f.userSays(kRoutingPage, "hello");
  const std::string valid =
      R"({"recipient":{"id":")" + std::string(kUser) + R"("},"target_app_id":")" + kAgent + R"("})";
  const std::string auth = "Authorization: Bearer bot-routing-token\r\n";
  const auto graph = raw(f.emu->port(), std::string(kPass) + auth + kJson,
                         valid + std::string(1, '\0') + "garbage");
  CHECK(graph.status == 400);
  CHECK(graphCode(graph.body) == 100);
  CHECK(f.ownerOf(kRoutingPage) != kAgent);  // nothing was passed
  const auto control =
      raw(f.emu->port(), std::string("POST /_emulator/user/message HTTP/1.1\r\n") + kJson,
          R"({"page_id":")" + std::string(kRoutingPage) + R"(","user_id":")" + kUser +
              R"(","text":"x"})" + std::string(1, '\0') + "}");
  CHECK(control.status == 400);
  // The body without its tail is accepted: the NUL is what was refused.
  CHECK(raw(f.emu->port(), std::string(kPass) + auth + kJson, valid).status == 200);
}

TEST_CASE("hardening: clock advances are bounded and the clock never moves backwards") {
  Fixture f;
  httplib::Client http(f.emu->baseUrl());
  const auto before = f.emu->now();
  for (const char* bad :
       {R"({"seconds":9223372036854775})", R"({"seconds":-1})", R"({"seconds":3162240001})",
        R"({"seconds":1.5})", R"({"seconds":"60"})", R"({})"}) {
    INFO(bad);
    auto r = http.Post("/_emulator/clock/advance", bad, "application/json");
    REQUIRE(r);
    CHECK(r->status == 400);
    CHECK(r->body.find("seconds must be an integer from 0 to 3162240000") != std::string::npos);
  }
  CHECK(f.emu->now() - before < std::chrono::hours(1));
  // The largest advance is accepted, until the next one would pass year 9999.
  auto last = f.emu->now();
  int accepted = 0;
  for (int i = 0; i < 100; ++i) {
    auto r = http.Post("/_emulator/clock/advance", R"({"seconds":3162240000})", "application/json");
    REQUIRE(r);
    if (r->status != 200) {
      CHECK(r->status == 400);
      CHECK(r->body.find("9999-12-31") != std::string::npos);
      break;
    }
    ++accepted;
    CHECK(f.emu->now() > last);
    last = f.emu->now();
  }
  CHECK(accepted > 70);  // about 79 centuries fit between now and 9999
  CHECK(accepted < 100);
  CHECK(epochMillis(f.emu->now()) <= 253402300799999LL);
  // The C++ API has the same bounds.
  CHECK_FALSE(f.emu->advanceClock(std::chrono::seconds(-1)));
  CHECK(f.emu->advanceClock(std::chrono::seconds(-1)).error().category ==
        ErrorCategory::kInvalidArgument);
  CHECK_FALSE(f.emu->advanceClock(std::chrono::seconds(3162240000)));  // no room left
  // Bounded waits too.
  auto wait = http.Post("/_emulator/deliveries/wait", R"({"timeout_ms":9223372036854775807})",
                        "application/json");
  REQUIRE(wait);
  CHECK(wait->status == 400);
}

TEST_CASE("hardening: config numbers outside their bounds are refused by name") {
  for (const auto& [bad, name] : std::vector<std::pair<std::string, std::string>>{
           {R"("start_time_ms":-1)", "start_time_ms"},
           {R"("start_time_ms":9223372036854775807)", "start_time_ms"},
           {R"("delivery":{"timeout_ms":9223372036854775807})", "delivery.timeout_ms"},
           {R"("delivery":{"max_batch":100000})", "delivery.max_batch"}}) {
    INFO(bad);
    auto config = parseConfig(R"({"pages":[{"id":"1","name":"P","platform":"messenger",)"
                              R"("era":"legacy"}],"apps":[],)" +
                              bad + "}");
    REQUIRE_FALSE(config);
    CHECK(config.error().message.find(name + " must be an integer from") != std::string::npos);
  }
}

TEST_CASE("hardening: ids and text are checked as Graph does and the timeline stays valid UTF-8") {
  Fixture f;
  httplib::Client http(f.emu->baseUrl());
  const httplib::Headers auth{{"Authorization", "Bearer bot-routing-token"}};
  const std::string huge(1 << 19, '1');  // large, within the 1 MiB body cap
  for (const std::string& id : {huge, std::string("12ab"), std::string("-5"), std::string("")}) {
    INFO(id.substr(0, 20));
    auto r =
        http.Post("/v26.0/me/pass_thread_control", auth,
                  R"({"recipient":{"id":")" + id + R"("},"target_app_id":")" + kAgent + R"("})",
                  "application/json");
    REQUIRE(r);
    CHECK(r->status == 400);
    CHECK(graphCode(r->body) == 100);
    if (!id.empty()) CHECK(graphCode(r->body, "error_subcode") == 2018001);
  }
  // Invalid UTF-8, in a JSON body and in a form parameter.
  const std::string bad_utf8 = "\xff\xfe";
  auto in_json = http.Post("/v26.0/me/messages", auth,
                           R"({"recipient":{"id":")" + std::string(kUser) +
                               R"("},"message":{"text":")" + bad_utf8 + R"("}})",
                           "application/json");
  REQUIRE(in_json);
  CHECK(in_json->status == 400);
  auto in_form = http.Post("/v26.0/me/pass_thread_control", auth,
                           "recipient=%7B%22id%22%3A%22" + std::string(kUser) +
                               "%22%7D&target_app_id=" + kAgent + "&metadata=%FF%FE",
                           "application/x-www-form-urlencoded");
  REQUIRE(in_form);
  CHECK(in_form->status == 400);
  CHECK(graphCode(in_form->body) == 100);
  // A message longer than the Send API allows.
  auto long_text = http.Post("/v26.0/me/messages", auth,
                             R"({"recipient":{"id":")" + std::string(kUser) +
                                 R"("},"message":{"text":")" + std::string(2001, 'a') + R"("}})",
                             "application/json");
  REQUIRE(long_text);
  CHECK(long_text->status == 400);
  // The control API and the C++ user actions refuse the same.
  auto control = http.Post("/_emulator/user/message",
                           R"({"page_id":")" + std::string(kRoutingPage) + R"(","user_id":")" +
                               huge + R"(","text":"hi"})",
                           "application/json");
  REQUIRE(control);
  CHECK(control->status == 400);
  CHECK(control->body.size() < 1000);  // the id is not echoed back
  CHECK_FALSE(f.emu->sendUserMessage({kRoutingPage, "u1", "hi", ""}));
  CHECK_FALSE(f.emu->sendUserMessage({kRoutingPage, kUser, "\xc0\x80", ""}));      // overlong NUL
  CHECK_FALSE(f.emu->sendUserMessage({kRoutingPage, kUser, "\xed\xa0\x80", ""}));  // surrogate
  CHECK_FALSE(f.emu->sendUserMessage({kRoutingPage, kUser, std::string(2001, 'a'), ""}));
  CHECK(f.emu->sendUserMessage({kRoutingPage, kUser, "h\xc3\xa9llo \xf0\x9f\x91\x8b", ""}));
  CHECK_FALSE(f.emu->inboxReply(kRoutingPage, "not-digits", "hi"));
  // None of it made a thread, and the timeline is still valid UTF-8 JSON, not grown by the
  // sizes of what was refused.
  CHECK(f.emu->threadState(kRoutingPage, huge).value().owner_app_id.empty());
  auto raw_id = http.Get("/v26.0/me/thread_owner?recipient=%FF" + huge.substr(0, 5000), auth);
  REQUIRE(raw_id);
  CHECK(raw_id->status == 400);
  auto timeline = http.Get("/_emulator/timeline");
  REQUIRE(timeline);
  CHECK(timeline->status == 200);
  CHECK_FALSE(json(timeline->body).HasParseError());
  CHECK(timeline->body.size() < 200'000);
}

TEST_CASE("hardening: concurrent pass, take and release never leave two owners or a 5xx") {
  Fixture f;
  f.userSays(kRoutingPage, "hello");
  std::atomic<int> ok{0}, refused{0}, server_errors{0}, other{0};
  auto fight = [&](Client client, const char* other_app) {
    for (int i = 0; i < 150; ++i) {
      std::optional<Error> failed;
      auto note = [&](const auto& r) {
        if (!r) failed = r.error();
      };
      if (i % 3 == 0) {
        note(client.passThreadControl(kUser, other_app));
      } else if (i % 3 == 1) {
        note(client.takeThreadControl(kUser));
      } else {
        note(client.releaseThreadControl(kUser));
      }
      if (!failed) {
        ++ok;
      } else if (failed->http_status >= 500 || failed->http_status == 0) {
        ++server_errors;
      } else if (failed->http_status == 400 || failed->http_status == 403) {
        ++refused;
      } else {
        ++other;
      }
      const std::string owner = f.ownerOf(kRoutingPage);
      if (!owner.empty() && owner != kBot && owner != kAgent) ++other;
    }
  };
  std::vector<std::thread> apps;
  for (int i = 0; i < 2; ++i) {
    apps.emplace_back(fight, f.routingBot(), kAgent);
    apps.emplace_back(fight, f.routingAgent(), kBot);
  }
  for (auto& t : apps) t.join();
  INFO("ok " << ok << ", refused " << refused);
  CHECK(server_errors == 0);
  CHECK(other == 0);
  CHECK(ok > 0);
  CHECK(ok + refused == 600);
  // One owner, and every app agrees on it.
  const std::string owner = f.ownerOf(kRoutingPage);
  auto seen = f.routingBot().getThreadOwner(kUser);
  REQUIRE(seen);
  if (!owner.empty()) CHECK(seen->app_id.value_or("") == owner);
}
