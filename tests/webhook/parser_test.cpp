#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "catch.hpp"
#include "fixture_file.hpp"
#include "handover/webhook/parser.hpp"
#include "parse_ok.hpp"

using namespace handover;
using namespace handover::webhook;
using handover::test::readFile;
using handover::test::webhookFixture;
using handover_test_webhook::parseOk;

// Every fixture's events are checked line by line by the CLI contract's golden files
// (`<fixture>.parse.jsonl`, tests/cli) and its independent oracle (tests/cli/parse_contract.py);
// here, that each fixture parses, and the typed fields below.
TEST_CASE("every fixture parses, with a golden file of the CLI contract beside it") {
  std::vector<std::string> names;
  for (const auto& f : std::filesystem::directory_iterator(handover::test::webhookFixturesDir())) {
    if (f.path().extension() == ".json") names.push_back(f.path().stem().string());
  }
  std::sort(names.begin(), names.end());
  REQUIRE(names.size() >= 19);
  for (const auto& name : names) {
    DYNAMIC_SECTION(name) {
      CHECK(std::filesystem::exists(handover::test::webhookFixturesDir() + name + ".parse.jsonl"));
      (void)parseOk(webhookFixture(name + ".json"));
    }
  }
}

TEST_CASE("kinds, platform and conversation of parsed events") {
  const Batch b = parseOk(webhookFixture("handover_mixed.json"));
  REQUIRE(b.events.size() == 6);
  CHECK(b.object == "page");
  CHECK(b.platform == Platform::kMessenger);
  CHECK(b.events[0].kind() == EventKind::kMessage);
  CHECK(b.events[1].kind() == EventKind::kPassThreadControl);
  CHECK(b.events[2].kind() == EventKind::kTakeThreadControl);
  CHECK(b.events[3].kind() == EventKind::kRequestThreadControl);
  CHECK(b.events[4].kind() == EventKind::kAppRoles);
  CHECK(b.events[4].userId().empty());
  CHECK(b.events[0].userId() == "7000000000000001");
  CHECK_FALSE(b.events[1].get<PassThreadControl>()->previous_owner_app_id.has_value());
  CHECK(std::string(toString(EventKind::kRequestThreadControl)) == "request_thread_control");

  const Batch ig = parseOk(webhookFixture("instagram_events.json"));
  CHECK(ig.platform == Platform::kInstagram);
  for (const auto& e : ig.events) CHECK(e.platform == Platform::kInstagram);
  // An echo's conversation is its recipient.
  REQUIRE(ig.events[1].kind() == EventKind::kEcho);
  CHECK(ig.events[1].userId() == "6100000000000001");
  CHECK(ig.events[1].get<Echo>()->isFromApp("1517776481860111"));
  CHECK_FALSE(ig.events[1].get<Echo>()->isFromApp("263902037430900"));
  CHECK_FALSE(ig.events[1].get<Echo>()->isFromApp(""));
}

TEST_CASE("echoes from our app, a human in the inbox, and without app_id differ") {
  const Batch b = parseOk(webhookFixture("echoes.json"));
  REQUIRE(b.events.size() == 3);
  const std::string me = "1517776481860111";
  CHECK(b.events[0].get<Echo>()->isFromApp(me));
  CHECK_FALSE(b.events[1].get<Echo>()->isFromApp(me));
  CHECK(*b.events[1].get<Echo>()->app_id == kPageInboxAppId);
  CHECK_FALSE(b.events[2].get<Echo>()->app_id.has_value());
  CHECK(b.events[2].standby);
}

TEST_CASE("ids beyond 2^53 and 2^64 stay exact, as numbers or strings") {
  const Batch b = parseOk(webhookFixture("ids_numbers_and_strings.json"));
  REQUIRE(b.events.size() == 2);
  CHECK(b.events[0].sender.id == "9007199254740993");
  CHECK(b.events[1].sender.id == "9007199254740993");
  CHECK(b.events[0].page_id == "106500000000001");
  CHECK(*b.events[1].get<PassThreadControl>()->previous_owner_app_id == "18446744073709551617");
}

TEST_CASE("unknown events keep their exact raw bytes") {
  const std::string body = webhookFixture("unknown_kinds.json");
  const Batch b = parseOk(body);
  REQUIRE(b.events.size() == 4);
  const auto* u = b.events[0].get<Unknown>();
  REQUIRE(u != nullptr);
  CHECK(body.find(u->raw_json) != std::string::npos);
  CHECK(u->raw_json.front() == '{');
  CHECK(u->raw_json.back() == '}');
  CHECK(u->raw_json.find("\\u2764") != std::string::npos);  // escapes kept, not decoded
  CHECK(b.events[0].sender.id == "7000000000000001");       // envelope still read
}

TEST_CASE("the dashboard test payload is recognised, not an error") {
  const Batch b = parseOk(webhookFixture("dashboard_test.json"));
  CHECK(b.isDashboardTest());
  CHECK(b.events.empty());
  CHECK(b.errors.empty());
  REQUIRE(b.changes.size() == 1);
  CHECK(b.changes[0].field == "messages");
  CHECK_FALSE(parseOk(webhookFixture("messenger_text.json")).isDashboardTest());
}

TEST_CASE("a malformed event is reported with its offset - the others are returned") {
  const std::string body = webhookFixture("malformed_events.json");
  const Batch b = parseOk(body);
  REQUIRE(b.events.size() == 2);
  REQUIRE(b.errors.size() == 7);
  CHECK(b.errors[0].offset == body.find("\"yesterday\""));
  CHECK(b.errors[1].offset == body.find("[\"7000000000000001\"]"));
  CHECK(b.errors[2].offset == body.find("42,"));
  CHECK(b.errors[3].offset == body.find("{\"nested\""));
  CHECK(b.errors[4].offset == body.find("1.5}"));
  CHECK(b.errors[5].offset == body.find("{\"bad\":1}"));
  CHECK(b.errors[6].offset == body.find("\"yes\""));
  // Each message names the field and the JSON type it had (the contract of EventError).
  CHECK(b.errors[0].message.find("`timestamp`") != std::string::npos);
  CHECK(b.errors[0].message.find("a string") != std::string::npos);
  CHECK(b.errors[1].message.find("`sender`") != std::string::npos);
  CHECK(b.errors[3].message.find("`text`") != std::string::npos);
  CHECK(b.errors[5].message.find("`entry.id`") != std::string::npos);
  CHECK(b.errors[5].message.find("the entry is skipped") != std::string::npos);
  CHECK(b.errors[6].message.find("`is_echo`") != std::string::npos);
}

TEST_CASE("type checks on single fields") {
  auto one = [](const std::string& event) {
    return parseOk(R"({"object":"page","entry":[{"id":"1","time":2,"messaging":[)" + event +
                   "]}]}");
  };
  // Timestamp beyond int64, negative id, fractional timestamp, bool text.
  CHECK(one(R"({"sender":{"id":"3"},"timestamp":9223372036854775808,"read":{}})").errors.size() ==
        1);
  CHECK(one(R"({"sender":{"id":"3"},"timestamp":9223372036854775807,"read":{}})").errors.empty());
  CHECK(one(R"({"sender":{"id":-3},"timestamp":1,"read":{}})").errors.size() == 1);
  CHECK(one(R"({"sender":{"id":"3"},"timestamp":1.0,"read":{}})").errors.size() == 1);
  CHECK(one(R"({"sender":{"id":"3"},"timestamp":1,"message":{"text":true}})").errors.size() == 1);
  CHECK(one(R"({"sender":{"id":"3"},"timestamp":1,"message":"hi"})").errors.size() == 1);
  CHECK(one(R"({"sender":{"id":"3"},"timestamp":1,"delivery":{"mids":[1]}})").errors.size() == 1);
  CHECK(one(R"({"sender":{"id":"3"},"timestamp":1,"app_roles":{"5":"primary"}})").errors.size() ==
        1);
  // Nulls mean "absent"; unknown fields of any shape are skipped.
  const Batch ok = one(
      R"({"sender":{"id":"3"},"timestamp":1,"delivery":{"mids":null,"watermark":null},"x":[[{}]]})");
  REQUIRE(ok.errors.empty());
  REQUIRE(ok.events.size() == 1);
  CHECK(ok.events[0].get<Delivery>()->mids.empty());
  CHECK_FALSE(ok.events[0].get<Delivery>()->watermark.has_value());
  // Two payload keys: which one counts would depend on the reader, so the event is refused.
  const Batch two =
      one(R"({"sender":{"id":"3"},"timestamp":1,"read":{"watermark":5},"message":{"text":"x"}})");
  CHECK(two.events.empty());
  REQUIRE(two.errors.size() == 1);
  CHECK(two.errors[0].message == "an event carries both `read` and `message`");
  // A sender that names nobody, or none where the kind always has one, is an event error.
  const Batch nobody = one(R"({"sender":{},"timestamp":1,"message":{"mid":"m","text":"x"}})");
  CHECK(nobody.events.empty());
  REQUIRE(nobody.errors.size() == 1);
  CHECK(nobody.errors[0].message == "`sender` has neither `id` nor `user_ref`");
  const Batch none = one(R"({"recipient":{"id":"1"},"timestamp":1,"postback":{"title":"x"}})");
  REQUIRE(none.errors.size() == 1);
  CHECK(none.errors[0].message == "the event has no `sender`");
}

TEST_CASE("a malformed body is a typed parse error with the byte offset") {
  struct Case {
    std::string body;
    std::size_t offset;
  };
  const std::vector<Case> cases = {
      {"", 0},
      {"{\"object\":\"page\",\"entry\":[", 26},
      {"{\"object\":\"page\",\"entry\":[]} x", 29},
      {"[1,2]", 0},
      {"\"page\"", 0},
      {"{\"object\":7,\"entry\":[]}", 10},
      {"{\"object\":\"page\",\"entry\":{}}", 25},
      {"{\"object\":\"page\"}", 0},
      {"{\"object\":\"page\",\"entry\":[{\"id\":\"1\",}]}", 36},
  };
  for (const auto& c : cases) {
    CAPTURE(c.body);
    auto r = parse(c.body);
    REQUIRE_FALSE(r);
    CHECK(r.error().category == ErrorCategory::kParse);
    REQUIRE(r.error().offset.has_value());
    CHECK(*r.error().offset == c.offset);
  }
}

TEST_CASE("invalid UTF-8 is refused") {
  std::string body = R"({"object":"page","entry":[{"id":"1","messaging":[{"message":{"text":"a)";
  const std::size_t at = body.size();
  body += "\xC3\x28";  // a broken two-byte sequence
  body += R"("}}]}]})";
  auto r = parse(body);
  REQUIRE_FALSE(r);
  CHECK(r.error().category == ErrorCategory::kParse);
  CHECK(*r.error().offset >= at);
  CHECK(*r.error().offset <= at + 2);
  // Overlong encoding and a lone surrogate escape are refused too.
  CHECK_FALSE(parse("{\"object\":\"page\",\"entry\":[],\"x\":\"\xC0\xAF\"}"));
  CHECK_FALSE(parse(R"({"object":"page","entry":[],"x":"\ud800"})"));
}

TEST_CASE("size and depth caps hold, and a million-deep document is an error, not a crash") {
  const std::string small = webhookFixture("messenger_text.json");
  ParseOptions tight;
  tight.max_body_bytes = small.size() - 1;
  auto r = parse(small, tight);
  REQUIRE_FALSE(r);
  CHECK(r.error().category == ErrorCategory::kParse);
  tight.max_body_bytes = small.size();
  CHECK(parse(small, tight));

  std::string big(1024 * 1024 + 1, ' ');
  big.replace(0, 2, "{}");
  CHECK_FALSE(parse(big));  // default cap: 1 MiB

  const std::size_t n = 1000000;
  ParseOptions roomy;
  roomy.max_body_bytes = 8 * n;
  const std::string arrays = std::string(n, '[') + std::string(n, ']');
  auto deep = parse(arrays, roomy);
  REQUIRE_FALSE(deep);
  CHECK(deep.error().category == ErrorCategory::kParse);
  std::string objects;
  for (std::size_t i = 0; i < n; ++i) objects += "{\"a\":";
  auto deep2 = parse(objects, roomy);
  REQUIRE_FALSE(deep2);
  CHECK(*deep2.error().offset == 64 * 5);  // the 65th '{'

  ParseOptions shallow;
  shallow.max_depth = 4;
  CHECK_FALSE(parse(small, shallow));
}

TEST_CASE("dedupKey is stable across redeliveries and distinct across events") {
  const Batch a = parseOk(webhookFixture("handover_mixed.json"));
  const Batch b = parseOk(webhookFixture("handover_mixed.json"));
  std::vector<std::string> keys;
  for (std::size_t i = 0; i < a.events.size(); ++i) {
    CHECK(dedupKey(a.events[i]) == dedupKey(b.events[i]));
    keys.push_back(dedupKey(a.events[i]));
  }
  std::sort(keys.begin(), keys.end());
  CHECK(std::adjacent_find(keys.begin(), keys.end()) == keys.end());
  // The same message delivered on standby to another app has the same key.
  Event standby_copy = a.events[0];
  standby_copy.standby = true;
  CHECK(dedupKey(standby_copy) == dedupKey(a.events[0]));
  CHECK(dedupKey(a.events[0]).find("m_H1") != std::string::npos);
}

TEST_CASE("an Unknown event names its first unmodelled key") {
  const Batch b = parseOk(
      R"({"object":"page","entry":[{"id":"1","messaging":[{"sender":{"id":"2"},"x\"y":1,"z":2},)"
      R"({"timestamp":5},{"account_linking":{},"sender":{"id":"2"},"read":{}}]}]})");
  REQUIRE(b.events.size() == 3);
  CHECK(b.events[0].get<Unknown>()->type == "x\\\"y");  // raw, as written
  CHECK(b.events[1].get<Unknown>()->type.empty());
  CHECK(b.events[2].kind() == EventKind::kRead);
}

TEST_CASE("reactions, referrals, opt-ins and edits are typed") {
  const std::string body = webhookFixture("new_kinds.json");
  const Batch b = parseOk(body);
  REQUIRE(b.errors.empty());
  REQUIRE(b.events.size() == 9);
  CHECK(b.events[0].kind() == EventKind::kReaction);
  const auto& love = *b.events[0].get<Reaction>();
  CHECK(love.action == ReactionAction::kReact);
  CHECK(love.emoji == "\xE2\x9D\xA4\xEF\xB8\x8F");  // U+2764 U+FE0F, decoded
  CHECK(b.events[1].get<Reaction>()->action == ReactionAction::kUnreact);
  CHECK(b.events[1].get<Reaction>()->emoji.empty());
  const auto& ad = *b.events[3].get<Referral>();
  CHECK(ad.source == "ADS");
  CHECK(ad.ad_id == "6045246247433");
  CHECK(b.events[4].userId() == "guest-4711");  // a chat-plugin guest: user_ref
  CHECK(b.events[4].get<Referral>()->referer_uri == "https://shop.example.invalid/help");
  // A checkbox opt-in has no sender: the user is only a user_ref inside the payload.
  CHECK(b.events[5].kind() == EventKind::kOptin);
  CHECK(b.events[5].userId().empty());
  CHECK(b.events[5].get<Optin>()->user_ref == "cb-90210");
  CHECK(b.events[6].get<Optin>()->notification_messages_token == "NMT_EXAMPLE_NOT_A_SECRET");
  CHECK(b.events[7].get<MessageEdit>()->edit_count == 2);
  CHECK(b.events[8].standby);
  CHECK(std::string(toString(EventKind::kMessageEdit)) == "message_edit");
  // Unknown action values are kept as kOther, not refused.
  const Batch other = parseOk(
      R"({"object":"page","entry":[{"id":"1","messaging":[{"sender":{"id":"2"},"timestamp":3,)"
      R"("reaction":{"mid":"m","action":"super_react","reaction":"other"}}]}]})");
  REQUIRE(other.events.size() == 1);
  CHECK(other.events[0].get<Reaction>()->action == ReactionAction::kOther);
}

TEST_CASE("each event's span is its object in the body") {
  const std::string body = webhookFixture("new_kinds.json");
  const Batch b = parseOk(body);
  for (const auto& e : b.events) {
    const std::string_view wire = std::string_view(body).substr(e.span.offset, e.span.size);
    CHECK(wire.front() == '{');
    CHECK(wire.back() == '}');
    CHECK(wire.find("\"timestamp\":" + std::to_string(epochMillis(e.timestamp))) !=
          std::string_view::npos);
  }
}

TEST_CASE("dedup keys of the new kinds tell events apart and match their redeliveries") {
  const Batch a = parseOk(webhookFixture("new_kinds.json"));
  const Batch again = parseOk(webhookFixture("new_kinds.json"));
  std::vector<std::string> keys;
  for (std::size_t i = 0; i < a.events.size(); ++i) {
    CHECK(dedupKey(a.events[i]) == dedupKey(again.events[i]));
    keys.push_back(dedupKey(a.events[i]));
  }
  std::sort(keys.begin(), keys.end());
  CHECK(std::adjacent_find(keys.begin(), keys.end()) == keys.end());
  // React and unreact on the same message are two events.
  CHECK(dedupKey(a.events[0]) != dedupKey(a.events[1]));
}

TEST_CASE("recursive (max_depth up to 256) and iterative parsing give the same result") {
  ParseOptions deep;
  deep.max_depth = 100000;  // beyond what RapidJSON is let recurse: iterative mode
  for (const auto& f : std::filesystem::directory_iterator(handover::test::webhookFixturesDir())) {
    if (f.path().extension() != ".json") continue;
    const std::string body = readFile(f.path().string());
    DYNAMIC_SECTION(f.path().filename().string()) {
      const Batch a = parseOk(body);
      auto b = parse(body, deep);
      REQUIRE(b);
      CHECK(a.errors.size() == b->errors.size());
      CHECK(a.changes.size() == b->changes.size());
      REQUIRE(a.events.size() == b->events.size());
      for (std::size_t i = 0; i < a.events.size(); ++i) {
        CHECK(dedupKey(a.events[i]) == dedupKey(b->events[i]));
        CHECK(a.events[i].kind() == b->events[i].kind());
        CHECK(a.events[i].standby == b->events[i].standby);
        CHECK(a.events[i].span.offset == b->events[i].span.offset);
        CHECK(a.events[i].span.size == b->events[i].span.size);
      }
    }
  }
  // Offsets of errors agree too, and depth is still bounded in iterative mode.
  const std::string bad = R"({"object":"page","entry":[{"id":{}}]})";
  CHECK(*parse(bad)->errors.at(0).message.begin() == '`');
  CHECK(parse(bad)->errors.at(0).offset == parse(bad, deep)->errors.at(0).offset);
  deep.max_depth = 300;
  deep.max_body_bytes = 1 << 22;
  std::string nested;
  for (int i = 0; i < 1000; ++i) nested += "{\"a\":";
  auto r = parse(nested, deep);
  REQUIRE_FALSE(r);
  CHECK(*r.error().offset == 300 * 5);  // the 301st '{'
}
