// Bodies an attacker (or a broken proxy) sends: bytes after the value, NUL bytes, lone
// surrogates, duplicate keys, floods of empty items. Each must be refused with an offset, or
// bounded, never read one way here and another way by the next parser along.

#include <string>
#include <vector>

#include "catch.hpp"
#include "handover/webhook/parser.hpp"

using namespace handover;
using namespace handover::webhook;

namespace {

const std::string kValid =
    R"({"object":"page","entry":[{"id":"1","time":2,"messaging":[{"sender":{"id":"3"},)"
    R"("recipient":{"id":"1"},"timestamp":4,"message":{"mid":"m_1","text":"hi"}}]}]})";

// The body with `event` as its only event.
std::string withEvent(const std::string& event) {
  return R"({"object":"page","entry":[{"id":"1","time":2,"messaging":[)" + event + "]}]}";
}

std::size_t errorOffset(const std::string& body, const ParseOptions& options = {}) {
  auto r = parse(body, options);
  REQUIRE_FALSE(r);
  CHECK(r.error().category == ErrorCategory::kParse);
  REQUIRE(r.error().offset.has_value());
  return *r.error().offset;
}

}  // namespace

TEST_CASE("nothing but JSON whitespace may follow the value") {
  REQUIRE(parse(kValid));
  REQUIRE(parse(kValid + " \t\r\n"));
  const std::size_t end = kValid.size();
  struct Case {
    std::string tail;
    std::size_t offset;  // from the end of the value
  };
  const std::vector<Case> cases = {
      {std::string("\0", 1), 0},
      {std::string("\0garbage", 8), 0},
      {std::string("\0{\"object\":\"page\",\"entry\":[]}", 30), 0},
      {"  x", 2},
      {"\n\n}", 2},
      {"{}", 0},
      {" " + kValid, 1},
      {"\xEF\xBB\xBF", 0},  // a BOM is a byte too
      {"\x0b", 0},          // vertical tab is not JSON whitespace
  };
  for (const auto& c : cases) {
    CAPTURE(c.tail);
    CHECK(errorOffset(kValid + c.tail) == end + c.offset);
  }
}

TEST_CASE("NUL bytes anywhere are refused, with where they stand") {
  CHECK(errorOffset(std::string("\0", 1) + kValid) == 0);
  // A raw NUL inside a string (JSON requires control characters escaped).
  std::string inside = kValid;
  const std::size_t at = inside.find("hi") + 1;
  inside[at] = '\0';
  auto r = parse(inside);
  REQUIRE_FALSE(r);
  CHECK(*r.error().offset == at);
  CHECK(r.error().message.find("NUL") != std::string::npos);
  // The escaped form is a character like any other.
  CHECK(parse(withEvent(R"({"sender":{"id":"3"},"timestamp":4,"message":{"text":"a\u0000b"}})")));
}

TEST_CASE("a truncated body says that it ended") {
  const std::string cut = kValid.substr(0, 40);
  auto r = parse(cut);
  REQUIRE_FALSE(r);
  CHECK(*r.error().offset == cut.size());
  CHECK(r.error().message.find("ended") != std::string::npos);
}

TEST_CASE("a lone surrogate escape is refused wherever a string occurs") {
  const std::vector<std::string> bodies = {
      withEvent(R"({"sender":{"id":"3"},"timestamp":4,"message":{"mid":"m","text":"\udc00"}})"),
      withEvent(R"({"sender":{"id":"3"},"timestamp":4,"message":{"mid":"\uDFFF","text":"x"}})"),
      withEvent(R"({"sender":{"id":"\udc00"},"timestamp":4,"message":{"text":"x"}})"),
      withEvent(R"({"sender":{"id":"3"},"timestamp":4,"message":{"\udc00":1,"text":"x"}})"),
      withEvent(R"({"sender":{"id":"3"},"timestamp":4,"message":{"text":"\ud800"}})"),
      withEvent(R"({"sender":{"id":"3"},"timestamp":4,"message":{"text":"\ud800x\udc00"}})"),
      withEvent(R"({"sender":{"id":"3"},"timestamp":4,"message":{"text":"\udc00\ud800"}})"),
      withEvent(R"({"sender":{"id":"3"},"timestamp":4,"x":{"skipped":"\udc00"}})"),
  };
  for (const auto& body : bodies) {
    CAPTURE(body);
    const std::size_t at = errorOffset(body);
    CHECK(body[at] == '\\');
  }
  // A proper pair, an escaped backslash before "udc00", and the pair in upper case are fine.
  auto pair =
      parse(withEvent(R"({"sender":{"id":"3"},"timestamp":4,"message":{"text":"\ud83d\udc4d"}})"));
  REQUIRE(pair);
  CHECK(pair->events.at(0).get<Message>()->text == "\xF0\x9F\x91\x8D");
  auto escaped =
      parse(withEvent(R"({"sender":{"id":"3"},"timestamp":4,"message":{"text":"\\udc00"}})"));
  REQUIRE(escaped);
  CHECK(escaped->events.at(0).get<Message>()->text == "\\udc00");
  CHECK(
      parse(withEvent(R"({"sender":{"id":"3"},"timestamp":4,"message":{"text":"\uD83D\uDC4D"}})")));
}

TEST_CASE("a duplicate key in any object the parser reads refuses the body") {
  struct Case {
    std::string body;
    std::string key;
  };
  const std::string ev = R"({"sender":{"id":"3"},"timestamp":4,"message":{"mid":"m","text":"x"}})";
  const std::vector<Case> cases = {
      {R"({"object":"page","entry":[],"entry":[]})", "entry"},
      {R"({"object":"page","object":"instagram","entry":[]})", "object"},
      {R"({"object":"page","entry":[{"id":"1","id":"2","messaging":[]}]})", "id"},
      {R"({"object":"page","entry":[{"id":"1","messaging":[],"messaging":[]}]})", "messaging"},
      {withEvent(R"({"sender":{"id":"3"},"sender":{"id":"4"},"timestamp":4,"read":{}})"), "sender"},
      {withEvent(R"({"sender":{"id":"3","id":"4"},"timestamp":4,"read":{}})"), "id"},
      {withEvent(R"({"sender":{"id":"3"},"timestamp":4,"message":{"text":"a"},"message":{}})"),
       "message"},
      {withEvent(R"({"sender":{"id":"3"},"timestamp":4,"message":{"mid":"a","mid":"b"}})"), "mid"},
      {withEvent(R"({"sender":{"id":"3"},"timestamp":4,"message":{"nlp":1,"text":"a","nlp":2}})"),
       "nlp"},
      {withEvent(R"({"sender":{"id":"3"},"timestamp":4,"pass_thread_control":)"
                 R"({"new_owner_app_id":"5","new_owner_app_id":"6"}})"),
       "new_owner_app_id"},
      {withEvent(R"({"sender":{"id":"3"},"timestamp":4,"reaction":{"mid":"m","mid":"n"}})"), "mid"},
      {withEvent(R"({"recipient":{"id":"1"},"timestamp":4,"app_roles":{"5":[],"5":[]}})"), "5"},
      {withEvent(R"({"sender":{"id":"3"},"timestamp":4,"zz":{},"zz":[]})"), "zz"},
      // An escape spelling the same key is the same key.
      {withEvent(R"({"sender":{"id":"3"},"timestamp":4,"message":{"mid":"a","m\u0069d":"b"}})"),
       "mid"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.body);
    auto r = parse(c.body);
    REQUIRE_FALSE(r);
    CHECK(r.error().message == "webhook body: duplicate key `" + c.key + "`");
    REQUIRE(r.error().offset.has_value());
    CHECK(c.body[*r.error().offset] == '"');
    CHECK(*r.error().offset > c.body.find("\"" + c.key.substr(0, 1)));
  }
  // Many unmodelled keys (the sorted path) with one repeat, named at its second occurrence.
  std::string many = R"({"sender":{"id":"3"},"timestamp":4,"message":{)";
  for (int i = 0; i < 40; ++i) many += "\"k" + std::to_string(i) + "\":" + std::to_string(i) + ",";
  const std::size_t second = many.size();
  many += R"("k7":0,"text":"x"}})";
  const std::string body = withEvent(many);
  auto r = parse(body);
  REQUIRE_FALSE(r);
  CHECK(r.error().message == "webhook body: duplicate key `k7`");
  CHECK(*r.error().offset == body.find(many) + second);
  // The same key in sibling or nested objects is no duplicate; inside skipped values, not read.
  CHECK(parse(withEvent(
      R"({"sender":{"id":"3"},"recipient":{"id":"1"},"timestamp":4,"message":{"mid":"m",)"
      R"("attachments":[{"type":"a","payload":{"url":"u"}},{"type":"b","payload":{"url":"v"}}]}})")));
  CHECK(parse(withEvent(R"({"sender":{"id":"3"},"timestamp":4,"x":{"a":1,"a":2},"read":{}})")));
  (void)ev;
}

TEST_CASE("events per body are bounded") {
  // 300,000 empty items: once 300,000 events and 157 MB, now refused at the cap.
  std::string flood = R"({"object":"page","entry":[{"id":"1","messaging":[)";
  const std::size_t items = 300000;
  for (std::size_t i = 0; i < items; ++i) flood += i == 0 ? "{}" : ",{}";
  flood += "]}]}";
  auto r = parse(flood);
  REQUIRE_FALSE(r);
  CHECK(r.error().message == "webhook body: more than 10000 events in one body");
  // The same holds for scalars (each an event error) and for entries that are not objects.
  std::string scalars = R"({"object":"page","entry":[{"id":"1","messaging":[)";
  for (std::size_t i = 0; i < 20000; ++i) scalars += i == 0 ? "1" : ",1";
  scalars += "]}]}";
  CHECK_FALSE(parse(scalars));
  std::string entries = R"({"object":"page","entry":[)";
  for (std::size_t i = 0; i < 20000; ++i) entries += i == 0 ? "1" : ",1";
  entries += "]}";
  CHECK_FALSE(parse(entries));
  // The bound is the caller's to set, and exactly max_events still parses.
  ParseOptions three;
  three.max_events = 3;
  const std::string ev = R"({"sender":{"id":"3"},"timestamp":4,"read":{}})";
  CHECK(parse(withEvent(ev + "," + ev + "," + ev), three));
  CHECK_FALSE(parse(withEvent(ev + "," + ev + "," + ev + "," + ev), three));
}
