// `validate` decides what `parse` decides: the endpoint answers 400 or 200 with it and queues the
// raw body for a worker's `parse`, so a body validate accepts and parse refuses would be answered
// 200 and then dead-lettered, and the reverse would refuse events Meta never sends again. Every
// fixture, every truncation of it and a set of mutations go through both.

#include <filesystem>
#include <string>
#include <vector>

#include "catch.hpp"
#include "fixture_file.hpp"
#include "handover/webhook/parser.hpp"

using namespace handover;
using namespace handover::webhook;

namespace {

std::vector<std::string> fixtureBodies() {
  std::vector<std::string> out;
  const std::string dir = std::string(HANDOVER_FIXTURES_DIR) + "/webhooks";
  for (const auto& f : std::filesystem::directory_iterator(dir)) {
    if (f.path().extension() == ".json") out.push_back(handover::test::readFile(f.path().string()));
  }
  REQUIRE(out.size() >= 15);
  return out;
}

// The same verdict: both accept with the same counts, or both refuse with the same error.
void requireSameVerdict(const std::string& body, const ParseOptions& options = {}) {
  const auto parsed = parse(body, options);
  const auto validated = validate(body, options);
  INFO("body: " << body.substr(0, 300));
  REQUIRE(bool(parsed) == bool(validated));
  if (parsed) {
    CHECK(validated->events == parsed->events.size());
    CHECK(validated->event_errors == parsed->errors.size());
    CHECK(validated->changes == parsed->changes.size());
    CHECK(validated->isDashboardTest() == parsed->isDashboardTest());
  } else {
    CHECK(validated.error().message == parsed.error().message);
    CHECK(validated.error().offset == parsed.error().offset);
    CHECK(validated.error().category == ErrorCategory::kParse);
  }
}

}  // namespace

TEST_CASE("validate and parse agree on every fixture and every truncation of it") {
  std::size_t accepted = 0, refused = 0;
  for (const std::string& body : fixtureBodies()) {
    requireSameVerdict(body);
    for (std::size_t n = 0; n < body.size(); ++n) {
      requireSameVerdict(body.substr(0, n));
      ++refused;
    }
    ++accepted;
  }
  CHECK(accepted >= 15);
  CHECK(refused > 1000);
}

TEST_CASE("validate and parse agree on mutated bodies: bytes flipped, keys repeated, caps") {
  ParseOptions tight;
  tight.max_events = 2;
  tight.max_depth = 5;
  std::size_t checked = 0;
  for (const std::string& body : fixtureBodies()) {
    for (std::size_t at = 0; at < body.size(); at += 3) {
      for (char c : {'"', '{', '}', ',', ':', '\0', '\x80', 'x'}) {
        std::string mutated = body;
        mutated[at] = c;
        requireSameVerdict(mutated);
        requireSameVerdict(mutated, tight);
        checked += 2;
      }
    }
    // Every key repeated in its own object: a duplicate wherever the parser reads one.
    for (std::size_t at = body.find("\":"); at != std::string::npos;
         at = body.find("\":", at + 2)) {
      const std::size_t open = body.rfind('"', at - 1);
      if (open == std::string::npos) continue;
      std::string mutated = body;
      mutated.insert(open, body.substr(open, at + 2 - open) + "null,");
      requireSameVerdict(mutated);
      ++checked;
    }
  }
  CHECK(checked > 5000);
}

TEST_CASE("validate counts what parse returns, the dashboard test included") {
  const std::string two =
      R"({"object":"page","entry":[{"id":"1","time":2,"messaging":[)"
      R"({"sender":{"id":"3"},"recipient":{"id":"1"},"timestamp":4,"message":{"mid":"m1","text":"a"}},)"
      R"({"sender":{"id":"3"},"recipient":{"id":"1"},"timestamp":5,"message":7},)"
      R"({"sender":{"id":"3"},"recipient":{"id":"1"},"timestamp":6,"read":{"watermark":5}}]}]})";
  auto v = validate(two);
  REQUIRE(v);
  CHECK(v->events == 2);
  CHECK(v->event_errors == 1);
  CHECK_FALSE(v->isDashboardTest());
  auto dashboard = validate(
      R"({"object":"page","entry":[{"id":"0","time":1,"changes":[{"field":"messages","value":{}}]}]})");
  REQUIRE(dashboard);
  CHECK(dashboard->isDashboardTest());
  CHECK(dashboard->changes == 1);
}
