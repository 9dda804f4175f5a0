// Scenario tests (handover/emulator/scenario.hpp): the parser's errors name the file and the
// path, every step kind runs against a real emulator over its control API, a failed
// expectation reads as a diff, the JUnit report is well-formed, and a recorded session becomes
// a scenario that parses and passes.
#include <rapidjson/document.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>

#include "catch.hpp"
#include "fixture.hpp"
#include "handover/emulator/scenario.hpp"
#include "scenario_keys.hpp"

using namespace handover;
using namespace handover::emulator;
using namespace handover::emulator::testing;

namespace {

// A scenario on the fixture's routing page and user.
Scenario scenario(const std::string& steps) {
  auto s = parseScenario(R"({"name":"t","page_id":"200200200","user_id":"6543210987654321",)"
                         R"("within_ms":1500,"steps":)" +
                             steps + "}",
                         "t.json");
  if (!s) FAIL(s.error().message);
  return *s;
}

struct Run {
  ScenarioReport report;
  std::string printed;
};

Run run(const Fixture& f, const std::string& steps) {
  std::ostringstream out;
  Run r{runScenario(scenario(steps), f.emu->baseUrl(), &out), ""};
  r.printed = out.str();
  return r;
}

}  // namespace

TEST_CASE("scenario: a malformed scenario names the file the path and what was expected",
          "[concurrency]") {
  struct Case {
    const char* json;
    const char* says;
  };
  const Case cases[] = {
      {R"({"page_id":"1","user_id":"2","steps":[{"user_says":"hi"},{"user_sings":"la"}]})",
       "f.json: steps[1].user_sings: expected a step: user_says, user_taps"},
      {R"({"page_id":"1","user_id":"2","steps":[{"user_says":{"txt":"hi"}}]})",
       "f.json: steps[0].user_says.txt: expected no such key (known: text, quick_reply_payload"},
      {R"({"steps":[{"user_says":"hi"}]})",
       "f.json: steps[0].user_says.page_id: expected a page id (here or as the scenario's"},
      {R"({"page_id":"1","user_id":"2","steps":[{"advance":"25 hours"}]})",
       "f.json: steps[0].advance.by: expected a duration such as \"25h\""},
      {R"({"page_id":"1","user_id":"2","steps":[{"expect_owner":{}}]})",
       "f.json: steps[0].expect_owner.app_id: expected an app id, or null for an idle thread"},
      {R"({"page_id":"1","user_id":"2","steps":[{"expect_received":{"app_id":"3",)"
       R"("event":"pass"}}]})",
       "f.json: steps[0].expect_received.event: expected an event: message, echo"},
      {R"({"page_id":"1","user_id":"2","steps":[{"user_says":"a"},)"
       R"({"expect_no_message":{"app_id":"3","after_step":2}}]})",
       "f.json: steps[1].expect_no_message.after_step: expected the number of an earlier step, "
       "from 1 to 1"},
      {R"({"page_id":"1","user_id":"2","steps":[{"user_says":"a","inbox_replies":"b"}]})",
       "f.json: steps[0]: expected one step key per step"},
      {R"({"page_id":"x","steps":[{"wait":"1s"}]})", "f.json: (top level).page_id: expected an id"},
      {R"({"steps":[]})", "f.json: steps: expected a non-empty array of steps"},
      {R"({"config":"nowhere.json","steps":[{"wait":"1s"}]})",
       "f.json: config: expected a valid config: emulator config: cannot open nowhere.json"},
      {R"({"world":{"pages":[{"id":"1","era":"old"}]},"steps":[{"wait":"1s"}]})",
       "f.json: world: expected a valid config: emulator config: pages[0].era must be"},
      {R"({"steps":[{"wait":"1s"}],})", "f.json: (top level): expected valid JSON"},
      {R"({"stpes":[]})", "f.json: (top level).stpes: expected no such key"},
  };
  for (const auto& c : cases) {
    auto r = parseScenario(c.json, "f.json");
    INFO(c.json);
    REQUIRE_FALSE(r);
    CHECK(r.error().message.find(c.says) != std::string::npos);
    CHECK(r.error().category == ErrorCategory::kParse);
  }
}

TEST_CASE("scenario: the emulator page's scenario reference lists every step and its keys",
          "[concurrency]") {
  std::ifstream in(std::string(HANDOVER_SOURCE_DIR) + "/examples/emulator/README.md");
  REQUIRE(in);
  std::map<std::string, std::set<std::string>> documented;
  bool in_table = false;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("## Scenario reference", 0) == 0) {
      in_table = true;
      continue;
    }
    if (!in_table) continue;
    if (line.rfind("## ", 0) == 0) break;  // the next section
    // | `step` | `key` | ... |
    if (line.rfind("| `", 0) != 0) continue;
    const auto s1 = line.find('`') + 1;
    const std::string step = line.substr(s1, line.find('`', s1) - s1);
    const auto k0 = line.find("| `", 2) + 3;
    documented[step].insert(line.substr(k0, line.find('`', k0) - k0));
  }
  std::set<std::string> top(kScenarioTopKeys.begin(), kScenarioTopKeys.end());
  CHECK(documented["(top level)"] == top);
  for (const auto& s : allStepKeys()) {
    INFO(s.name);
    std::set<std::string> keys(s.keys.begin(), s.keys.end());
    CHECK(documented[std::string(s.name)] == keys);
  }
}

TEST_CASE("scenario: every user inbox and clock step acts through the control API",
          "[concurrency]") {
  Fixture f;
  auto r = run(f, R"([{"user_says":"hello"},
    {"user_says":{"text":"Yes","quick_reply_payload":"YES"}},
    {"user_taps":{"payload":"SALES","title":"Talk to sales"}},
    {"expect_received":{"app_id":"1111111111","event":"postback","channel":"messaging"}},
    {"inbox_replies":"a human here"},
    {"expect_owner":{"app_id":"263902037430900"}},
    {"expect_received":{"app_id":"1111111111","event":"echo","channel":"standby"}},
    {"inbox_moves":"done"},
    {"expect_owner":{"app_id":"1111111111"}},
    {"expect_received":{"app_id":"1111111111","event":"pass_thread_control"}},
    {"advance":"25h"},
    {"expect_owner":{"app_id":null}},
    {"lead_gen_pass":{"target_app_id":"2222222222","complete":false,"user_id":"42"}},
    {"expect_owner":{"app_id":"2222222222","user_id":"42"}},
    {"expect_received":{"app_id":"2222222222","event":"pass_thread_control","user_id":"42",
                        "metadata":"messenger_lead_gen_incomplete"}},
    {"inbox_moves":{"folder":"main","user_id":"42"}},
    {"expect_owner":{"app_id":"263902037430900","user_id":"42"}},
    {"wait":"50ms"}])");
  INFO(r.printed);
  CHECK(r.report.passed());
  CHECK(r.report.steps.size() == 18);
  CHECK(r.printed.find("PASSED: 18/18 steps") != std::string::npos);
  // The actions really happened: the bot got both messages and the quick reply's payload.
  bool quick = false;
  for (const auto& e : f.bot_hook.events()) {
    if (const auto* m = e.get<webhook::Message>()) quick = quick || m->quick_reply_payload == "YES";
  }
  CHECK(quick);
}

TEST_CASE("scenario: expect_owner fails with the expected and actual owner and the history",
          "[concurrency]") {
  Fixture f;
  auto r = run(f, R"([{"user_says":"hello"},
    {"expect_owner":{"app_id":"2222222222","within_ms":100}},
    {"user_says":"never"}])");
  CHECK_FALSE(r.report.passed());
  REQUIRE(r.report.steps.size() == 3);
  CHECK(r.report.steps[0].outcome == StepOutcome::kPassed);
  CHECK(r.report.steps[1].outcome == StepOutcome::kFailed);
  CHECK(r.report.steps[2].outcome == StepOutcome::kSkipped);
  const std::string& diff = r.report.steps[1].failure;
  CHECK(diff.find("steps[1] in t.json") != std::string::npos);
  CHECK(diff.find("expected: the owner of user 6543210987654321 on page 200200200 is 2222222222 "
                  "(Agent Desk) within 100 ms") != std::string::npos);
  CHECK(diff.find("actual:   nobody (idle)") != std::string::npos);
  CHECK(r.printed.find("  FAIL  2  expect_owner 2222222222 within 100 ms") != std::string::npos);
  CHECK(r.printed.find("  skip  3  user_says \"never\"") != std::string::npos);
  CHECK(r.printed.find("FAILED at step 2 of 3") != std::string::npos);
  // The third step never ran: the bot heard one message.
  CHECK(f.bot_hook.waitForEvents(1).size() == 1);
}

TEST_CASE("scenario: expect_received matches kind metadata and channel and lists what came",
          "[concurrency]") {
  Fixture f;
  f.userSays(kRoutingPage, "hi");
  REQUIRE(f.routingBot().passThreadControl(kUser, kAgent, "escalate:billing"));
  auto ok = run(f, R"([{"expect_received":{"app_id":"2222222222","event":"pass_thread_control",
                         "metadata":"escalate:billing","channel":"messaging"}}])");
  INFO(ok.printed);
  CHECK(ok.report.passed());
  auto wrong = run(f, R"([{"expect_received":{"app_id":"2222222222",
                            "event":"pass_thread_control","metadata":"escalate:sales",
                            "within_ms":200}}])");
  REQUIRE_FALSE(wrong.report.passed());
  const std::string& diff = wrong.report.steps[0].failure;
  CHECK(diff.find("expected: 2222222222 (Agent Desk) was delivered pass_thread_control for user "
                  "6543210987654321 with metadata \"escalate:sales\"") != std::string::npos);
  CHECK(diff.find("standby message user 6543210987654321") != std::string::npos);
  CHECK(diff.find("messaging pass_thread_control user 6543210987654321 metadata "
                  "\"escalate:billing\"") != std::string::npos);
}

TEST_CASE("scenario: expect_sent and expect_no_message read what apps sent the user",
          "[concurrency]") {
  Fixture f;
  f.userSays(kRoutingPage, "hi");
  auto bot = f.routingBot();
  REQUIRE(bot.sendText(kUser, "Welcome to the shop"));
  auto r = run(f, R"([{"expect_sent":{"app_id":"1111111111","contains":"the shop"}},
    {"user_says":"anything else?"},
    {"expect_no_message":{"app_id":"1111111111","after_step":1,"for_ms":50}}])");
  INFO(r.printed);
  CHECK(r.report.passed());
  auto missing = run(f, R"([{"expect_sent":{"app_id":"1111111111","contains":"Goodbye",
                              "within_ms":100}}])");
  REQUIRE_FALSE(missing.report.passed());
  CHECK(missing.report.steps[0].failure.find(
            "actual:   it sent:\n          \"Welcome to the shop\"") != std::string::npos);
  // A message after the marked step fails expect_no_message and is quoted.
  std::thread late([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    (void)bot.sendText(kUser, "one more thing");
  });
  auto noisy = run(f, R"([{"user_says":"ok"},
    {"expect_no_message":{"app_id":"1111111111","after_step":1,"for_ms":400}}])");
  late.join();
  REQUIRE_FALSE(noisy.report.passed());
  CHECK(noisy.report.steps[1].failure.find("expected: no message from 1111111111 (Bot) after "
                                           "step 1\nactual:   it sent 1:\n          to user "
                                           "6543210987654321: \"one more thing\"") !=
        std::string::npos);
  // Only lines after the step count: the earlier welcome does not satisfy this.
  auto after = run(f, R"([{"user_says":"hello again"},
    {"expect_sent":{"app_id":"1111111111","contains":"Welcome","after_step":1,"within_ms":100}}])");
  CHECK_FALSE(after.report.passed());
}

TEST_CASE("scenario: a step that fails because deliveries failed says so with the status",
          "[concurrency]") {
  // The config's secret is not the one the app checks: every delivery is answered 403.
  Fixture f([](Config& c) { c.apps[0].app_secret = "not-the-bots-secret"; });
  auto r = run(f, R"([{"user_says":"hi"},
    {"expect_sent":{"app_id":"1111111111","contains":"hello","within_ms":300}},
    {"expect_received":{"app_id":"1111111111","event":"message","within_ms":100}}])");
  REQUIRE_FALSE(r.report.passed());
  const std::string& failure = r.report.steps[1].failure;
  INFO(failure);
  CHECK(failure.find("actual:   it sent that user nothing\n          deliveries to 1111111111 "
                     "(Bot) failed ") != std::string::npos);
  CHECK(failure.find("the last answered 403") != std::string::npos);
}

TEST_CASE("scenario: a step names a webhook verification that did not pass", "[concurrency]") {
  WebhookReceiver hook("bot-secret", 0, "expected-token");
  Fixture f([&](Config& c) {
    c.apps[0].webhook_url = hook.url();
    c.apps[0].verify_token = "wrong-token";
  });
  auto r = run(f, R"([{"user_says":"hi"},
    {"expect_received":{"app_id":"1111111111","event":"message","within_ms":300}}])");
  REQUIRE_FALSE(r.report.passed());
  const std::string& failure = r.report.steps[1].failure;
  INFO(failure);
  CHECK(failure.find("1111111111 (Bot) did not pass the webhook verification (refused: answered "
                     "403") != std::string::npos);
  CHECK(failure.find("[unsubscribed]") != std::string::npos);
}

TEST_CASE("scenario: the JUnit report is one testsuite with a testcase per step, escaped",
          "[concurrency]") {
  Fixture f;
  auto r = run(f, R"([{"user_says":"<b>&\"quotes\"</b>"},
    {"expect_owner":{"app_id":"2222222222","within_ms":50}},
    {"wait":"1ms"}])");
  const std::string xml = r.report.junitXml();
  CHECK(xml.rfind("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites tests=\"3\" "
                  "failures=\"1\" errors=\"0\" skipped=\"1\"",
                  0) == 0);
  CHECK(xml.find("<testsuite name=\"t\" tests=\"3\"") != std::string::npos);
  CHECK(xml.find("name=\"step 1: user_says &quot;&lt;b&gt;&amp;\\&quot;quotes\\&quot;&lt;/b&gt;"
                 "&quot;\"") != std::string::npos);
  CHECK(xml.find("<failure message=\"expected: the owner of user") != std::string::npos);
  CHECK(xml.find("<skipped message=\"an earlier step failed\"/>") != std::string::npos);
  CHECK(xml.find('<', xml.find("<failure") + 1) == xml.find("</failure>"));  // text escaped
}

TEST_CASE("scenario: an unreachable emulator fails the first step and says so", "[concurrency]") {
  auto r = runScenario(scenario(R"([{"user_says":"hi"}])"), "http://127.0.0.1:1");
  REQUIRE_FALSE(r.passed());
  CHECK(r.steps[0].failure.find("the emulator did not answer /_emulator/user/message") !=
        std::string::npos);
}

TEST_CASE("scenario: a recorded session becomes a scenario that parses and names what happened",
          "[concurrency]") {
  Fixture f;
  f.userSays(kRoutingPage, "I want a human");
  REQUIRE(f.routingBot().sendText(kUser, "connecting you"));
  REQUIRE(f.routingBot().passThreadControl(kUser, kAgent, "escalate:human"));
  REQUIRE(f.emu->waitForDeliveries(std::chrono::seconds(10)));
  REQUIRE(f.emu->inboxReply(kRoutingPage, kUser, "Sam here"));
  REQUIRE(f.emu->advanceClock(std::chrono::hours(25)));  // maybe before the agent hears the take
  f.userSays(kRoutingPage, "hello?");
  REQUIRE(f.emu->waitForDeliveries(std::chrono::seconds(10)));
  auto skeleton = recordScenario(f.emu->baseUrl());
  REQUIRE(skeleton);
  INFO(*skeleton);
  auto parsed = parseScenario(*skeleton, "recorded.json");
  REQUIRE(parsed);
  // A slow machine (sanitizers) may take a second to deliver: that gap is recorded as a wait,
  // which is not what this test is about.
  auto& steps = parsed->steps;
  steps.erase(std::remove_if(steps.begin(), steps.end(),
                             [](const ScenarioStep& s) { return s.kind == StepKind::kWait; }),
              steps.end());
  std::vector<std::string> kinds;
  for (const auto& s : parsed->steps) kinds.push_back(toString(s.kind));
  // Both apps hear of the pass under Conversation Routing (CR-M), in either order; the
  // inbox's take is expected after the reply that caused it, however late it was delivered.
  const std::vector<std::string> want{"user_says",       "expect_sent",  "expect_received",
                                      "expect_received", "expect_owner", "inbox_replies",
                                      "expect_received", "expect_owner", "advance",
                                      "expect_owner",    "user_says",    "expect_owner"};
  CHECK(kinds == want);
  REQUIRE(parsed->steps.size() == want.size());
  CHECK(parsed->steps[0].text == "I want a human");
  CHECK(parsed->steps[1].text == "connecting you");
  CHECK(parsed->steps[2].metadata == std::optional<std::string>("escalate:human"));
  CHECK(parsed->steps[3].metadata == std::optional<std::string>("escalate:human"));
  CHECK(parsed->steps[4].app_id == kAgent);
  CHECK(parsed->steps[5].text == "Sam here");
  CHECK(parsed->steps[6].event == "take_thread_control");
  CHECK(parsed->steps[6].app_id == kAgent);
  CHECK(parsed->steps[7].app_id == std::string(kPageInboxAppId));
  CHECK(parsed->steps[8].duration == std::chrono::hours(25));
  CHECK(parsed->steps[9].idle);
  CHECK(parsed->steps[11].idle);
  // Replayed where it was recorded, its expectations about deliveries and sends still hold;
  // its owners do not (the bot's pass is not replayed), and the diff says so.
  auto replay = runScenario(*parsed, f.emu->baseUrl());
  REQUIRE(replay.steps.size() == want.size());
  CHECK(replay.steps[3].outcome == StepOutcome::kPassed);
  CHECK(replay.steps[4].outcome == StepOutcome::kFailed);
  auto unreachable = recordScenario("http://127.0.0.1:1");
  REQUIRE_FALSE(unreachable);
  CHECK(unreachable.error().category == ErrorCategory::kTransport);
}

TEST_CASE("scenario: after_step still finds the lines after it once the chat reached its cap",
          "[concurrency]") {
  Fixture f;
  for (int i = 0; i < 499; ++i) f.userSays(kRoutingPage, "m" + std::to_string(i));
  auto bot = f.routingBot();
  std::thread late([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    (void)bot.sendText(kUser, "a late reply");
  });
  // Step 1 fills the chat to its 500 lines; the reply after it pushes the oldest one out.
  auto r = run(f, R"([{"user_says":"the 500th"},
    {"expect_sent":{"app_id":"1111111111","contains":"a late reply","after_step":1}}])");
  late.join();
  INFO(r.printed);
  CHECK(r.report.passed());
}

TEST_CASE("scenario: a recording keeps the real time an app took to act as a wait step",
          "[concurrency]") {
  Fixture f;
  f.userSays(kRoutingPage, "anyone?");
  // The app acts on its own timer, in real time: the replay must give it that time.
  std::this_thread::sleep_for(std::chrono::milliseconds(1300));
  REQUIRE(f.routingBot().sendText(kUser, "sorry for the wait"));
  auto skeleton = recordScenario(f.emu->baseUrl());
  REQUIRE(skeleton);
  INFO(*skeleton);
  auto parsed = parseScenario(*skeleton, "recorded.json");
  REQUIRE(parsed);
  REQUIRE(parsed->steps.size() >= 3);
  CHECK(parsed->steps[0].kind == StepKind::kUserSays);
  REQUIRE(parsed->steps[1].kind == StepKind::kWait);
  CHECK(parsed->steps[1].duration >= std::chrono::milliseconds(1300));
  CHECK(parsed->steps[1].duration < std::chrono::seconds(60));
  CHECK(parsed->steps[2].kind == StepKind::kExpectSent);
}

TEST_CASE("scenario: truncated and mutated scenarios and faults give errors never crashes",
          "[concurrency]") {
  std::ifstream in(std::string(HANDOVER_SOURCE_DIR) + "/examples/demo/demo.scenario.json");
  std::stringstream text;
  text << in.rdbuf();
  std::string scenario_text = text.str();
  // Without its config file, so that mutations reach the steps (the config is read first).
  const std::string config_line = "\"config\": \"demo_world.json\",";
  REQUIRE(scenario_text.find(config_line) != std::string::npos);
  scenario_text.erase(scenario_text.find(config_line), config_line.size());
  const std::string faults_text =
      R"({"seed":3,"delivery":{"drop_rate":0.5,"apps":["1"]},"graph":[{"method":"POST",)"
      R"("edge":"messages","count":2,"error":"custom","code":4,"status":429}],)"
      R"("rate_limits":[{"calls":2,"window_ms":10}],"lead_gen":[{"page_id":"1",)"
      R"("target_app_id":"2"}],"handover_disabled_pages":["1"]})";
  REQUIRE(parseScenario(scenario_text, "whole.json"));
  REQUIRE(parseFaults(faults_text));
  std::size_t errors = 0;
  auto check_error = [&](const Error& e, const std::string& prefix) {
    ++errors;
    CHECK(e.message.rfind(prefix, 0) == 0);
    CHECK((e.category == ErrorCategory::kParse || e.category == ErrorCategory::kInvalidArgument));
  };
  for (std::size_t n = 0; n < scenario_text.size(); n += 7) {
    auto r = parseScenario(scenario_text.substr(0, n), "cut.json");
    if (!r) check_error(r.error(), "cut.json: ");
  }
  for (std::size_t n = 0; n < faults_text.size(); ++n) {
    auto r = parseFaults(faults_text.substr(0, n));
    if (!r) check_error(r.error(), "faults");
  }
  std::uint64_t state = 12345;  // a fixed xorshift: the same mutations every run
  auto next = [&state] {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  };
  const char bytes[] = {'"', '{', '}', '[', ']', ',', ':', '0', '9', '-', 'e', '\0', '\xff', 'x'};
  for (int i = 0; i < 3000; ++i) {
    std::string s = i % 2 ? scenario_text : faults_text;
    for (int k = 0; k < 3; ++k) s[next() % s.size()] = bytes[next() % sizeof bytes];
    if (i % 2) {
      auto r = parseScenario(s, "m.json");
      if (!r) check_error(r.error(), "m.json: ");
    } else {
      auto r = parseFaults(s);
      if (!r) check_error(r.error(), "faults");
    }
  }
  CHECK(errors > 1000);
}
