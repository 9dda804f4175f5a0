// Who may drive the emulator: what the adversarial run did from a browser (a cross-origin page
// injecting messages and setting faults, a form advancing the clock, DNS rebinding reading the
// timeline) is refused, the inspector and the SDK's own callers still work, and beyond loopback
// every control request needs the run's token.

#include <httplib.h>

#include <string>

#include "catch.hpp"
#include "fixture.hpp"
#include "handover/emulator/scenario.hpp"

using namespace handover;
using namespace handover::emulator;
using namespace handover::emulator::testing;

namespace {

const std::string kMessage = R"({"page_id":"200200200","user_id":"6543210987654321","text":"x"})";

httplib::Headers host(const Emulator& emu, const std::string& name) {
  return {{"Host", name + ":" + std::to_string(emu.port())}};
}

}  // namespace

TEST_CASE("guard: a form or a script's simple POST cannot drive the emulator") {
  Fixture f;
  httplib::Client http(f.emu->baseUrl());
  auto form =
      http.Post("/_emulator/clock/advance", "seconds=86400", "application/x-www-form-urlencoded");
  REQUIRE(form);
  CHECK(form->status == 415);
  auto text = http.Post("/_emulator/user/message", kMessage, "text/plain");
  REQUIRE(text);
  CHECK(text->status == 415);
  CHECK(f.emu->threadState(kRoutingPage, kUser).value().owner_app_id.empty());
  auto json = http.Post("/_emulator/user/message", kMessage, "application/json; charset=utf-8");
  REQUIRE(json);
  CHECK(json->status == 200);
}

TEST_CASE("guard: another origin is refused, the emulator's own accepted") {
  Fixture f;
  httplib::Client http(f.emu->baseUrl());
  auto evil = http.Post("/_emulator/faults", httplib::Headers{{"Origin", "http://evil.example"}},
                        R"({"delivery":{"drop_rate":1.0}})", "application/json");
  REQUIRE(evil);
  CHECK(evil->status == 403);
  CHECK(f.emu->faults().delivery.drop_rate == 0.0);
  auto null_origin = http.Post("/_emulator/user/message", httplib::Headers{{"Origin", "null"}},
                               kMessage, "application/json");
  REQUIRE(null_origin);
  CHECK(null_origin->status == 403);
  auto own = http.Post("/_emulator/user/message", httplib::Headers{{"Origin", f.emu->baseUrl()}},
                       kMessage, "application/json");
  REQUIRE(own);
  CHECK(own->status == 200);
}

TEST_CASE("guard: a Host the emulator does not serve is refused (DNS rebinding)") {
  Fixture f;
  httplib::Client http(f.emu->baseUrl());
  for (const char* path : {"/_emulator/timeline", "/_emulator/conversations", "/_emulator/world"}) {
    auto rebound = http.Get(path, host(*f.emu, "attacker.example"));
    REQUIRE(rebound);
    CHECK(rebound->status == 403);
    CHECK(rebound->body.find("Host") != std::string::npos);
  }
  auto other_port = http.Get("/_emulator/world", httplib::Headers{{"Host", "127.0.0.1:1"}});
  REQUIRE(other_port);
  CHECK(other_port->status == 403);
  for (const char* name : {"127.0.0.1", "localhost", "LOCALHOST"}) {
    auto ok = http.Get("/_emulator/world", host(*f.emu, name));
    REQUIRE(ok);
    CHECK(ok->status == 200);
  }
  CHECK(f.emu->controlToken().empty());  // loopback: no token needed
}

TEST_CASE("guard: beyond loopback every control request needs the run's token") {
  Config c;
  c.pages.push_back({kRoutingPage, "Routing", Platform::kMessenger, Era::kRouting, ""});
  Emulator emu(c);
  const int port = emu.start("0.0.0.0", 0).value();
  const std::string token = emu.controlToken();
  REQUIRE(token.size() == 32);
  httplib::Client http("127.0.0.1", port);
  auto without = http.Get("/_emulator/world");
  REQUIRE(without);
  CHECK(without->status == 401);
  CHECK(without->body.find(token) == std::string::npos);
  auto wrong = http.Get("/_emulator/world", httplib::Headers{{"X-Handover-Emulator-Token", "x"}});
  REQUIRE(wrong);
  CHECK(wrong->status == 401);
  auto with = http.Get("/_emulator/world", httplib::Headers{{"X-Handover-Emulator-Token", token}});
  REQUIRE(with);
  CHECK(with->status == 200);
  auto bearer =
      http.Post("/_emulator/clock/advance", httplib::Headers{{"Authorization", "Bearer " + token}},
                R"({"seconds":1})", "application/json");
  REQUIRE(bearer);
  CHECK(bearer->status == 200);
  // The inspector's page loads without it (it then asks for the token).
  auto ui = http.Get("/_emulator/ui/");
  REQUIRE(ui);
  CHECK(ui->status == 200);
  // A second run has another token.
  Emulator again(c);
  again.start("0.0.0.0", 0).value();
  CHECK(again.controlToken() != token);
}

TEST_CASE("guard: a repeated key is refused and no secret reaches the timeline") {
  Fixture f;
  f.userSays(kRoutingPage, "hello");
  httplib::Client http(f.emu->baseUrl());
  const std::string pass = std::string("/v26.0/") + kRoutingPage + "/pass_thread_control";
  const httplib::Headers bearer{{"Authorization", "Bearer bot-routing-token"}};
  auto twice =
      http.Post(pass, bearer,
                R"({"recipient":{"id":")" + std::string(kUser) +
                    R"("},"access_token":"bot-routing-token","access_token":"second-copy",)"
                    R"("appsecret_proof":"p1","appsecret_proof":"p2"})",
                "application/json");
  REQUIRE(twice);
  CHECK(twice->status == 400);
  CHECK(twice->body.find("repeats the key") != std::string::npos);
  // Nested: accepted (Graph ignores what it does not know), recorded without the secret.
  auto nested = http.Post(pass, bearer,
                          R"({"recipient":{"id":")" + std::string(kUser) +
                              R"(","access_token":"nested-secret"},"target_app_id":")" + kAgent +
                              R"(","metadata":"m"})",
                          "application/json");
  REQUIRE(nested);
  CHECK(nested->status == 200);
  const std::string timeline = f.emu->timelineJson();
  for (const char* secret : {"bot-routing-token", "second-copy", "nested-secret", "p1\"", "p2\""}) {
    INFO(secret);
    CHECK(timeline.find(secret) == std::string::npos);
  }
  // The control API refuses a repeated key too.
  auto control =
      http.Post("/_emulator/user/message",
                R"({"page_id":"200200200","page_id":"100100100","user_id":"1","text":"x"})",
                "application/json");
  REQUIRE(control);
  CHECK(control->status == 400);
}

TEST_CASE("bounds: bodies, files, steps and rules have limits with clear errors") {
  Fixture f;
  httplib::Client http(f.emu->baseUrl());
  const std::string huge(std::size_t{2} << 20, ' ');
  auto big = http.Post("/_emulator/faults", "{\"seed\":1}" + huge, "application/json");
  REQUIRE(big);
  CHECK(big->status == 413);
  CHECK(big->get_header_value("Content-Type") == "application/json");
  CHECK(big->body.find("\"message\":\"the request body is over the emulator's bound of 1048576 "
                       "bytes\"") != std::string::npos);
  std::string rules = R"({"graph":[)";
  for (int i = 0; i < 1001; ++i) rules += std::string(i ? "," : "") + R"({"error":"not_owner"})";
  rules += "]}";
  auto many = http.Post("/_emulator/faults", rules, "application/json");
  REQUIRE(many);
  CHECK(many->status == 400);
  CHECK(many->body.find("at most 1000") != std::string::npos);

  auto device = loadConfigFile("/dev/zero");
  REQUIRE_FALSE(device);
  CHECK(device.error().message.find("larger than") != std::string::npos);
  auto via_scenario = parseScenario(
      R"({"config":"/dev/zero","steps":[{"user_says":"hi"}],"page_id":"1","user_id":"2"})",
      "s.json");
  REQUIRE_FALSE(via_scenario);
  CHECK(via_scenario.error().message.find("larger than") != std::string::npos);
}

TEST_CASE("bounds: the scenario parser holds the webhook parser's input rules") {
  auto repeated = parseScenario(
      R"({"page_id":"1","user_id":"2","steps":[{"user_says":"a","user_says":"b"}]})", "s.json");
  REQUIRE_FALSE(repeated);
  CHECK(repeated.error().message.find("\"user_says\" appears twice") != std::string::npos);
  const std::string with_nul = std::string(R"({"page_id":"1","user_id":"2",)") + '\0' + "}";
  auto raw_nul = parseScenario(with_nul, "s.json");
  REQUIRE_FALSE(raw_nul);
  REQUIRE(raw_nul.error().offset);
  CHECK(*raw_nul.error().offset == 29);
  auto escaped_nul = parseScenario(
      R"({"page_id":"1","user_id":"2","steps":[{"user_says":"hi\u0000there"}]})", "s.json");
  REQUIRE_FALSE(escaped_nul);
  CHECK(escaped_nul.error().message.find("NUL") != std::string::npos);
  std::string steps = R"({"page_id":"1","user_id":"2","steps":[)";
  for (int i = 0; i < 10001; ++i) steps += std::string(i ? "," : "") + R"({"advance":"1s"})";
  auto too_many = parseScenario(steps + "]}", "s.json");
  REQUIRE_FALSE(too_many);
  CHECK(too_many.error().message.find("at most 10000 steps") != std::string::npos);
}
