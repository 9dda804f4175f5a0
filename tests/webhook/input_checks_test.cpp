// The parser's first layer on its own: UTF-8 well-formedness and lone low surrogates, against
// hand-picked sequences from Unicode's Table 3-7 and a byte-by-byte reference over random data.

#include <cstdint>
#include <optional>
#include <random>
#include <string>

#include "catch.hpp"
#include "input_checks.hpp"

using handover::webhook::detail::firstInvalidUtf8;
using handover::webhook::detail::firstLoneLowSurrogate;

namespace {

// Reference: decode code points one at a time (slow and obvious).
std::optional<std::size_t> referenceInvalid(const std::string& s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t len = 0;
    std::uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    }
    if ((c & 0xE0) == 0xC0) {
      len = 2, cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3, cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4, cp = c & 0x07;
    } else {
      return i;
    }
    if (i + len > s.size()) return i;
    for (std::size_t k = 1; k < len; ++k) {
      const auto d = static_cast<unsigned char>(s[i + k]);
      if ((d & 0xC0) != 0x80) return i;
      cp = (cp << 6) | (d & 0x3F);
    }
    const std::uint32_t min = len == 2 ? 0x80 : len == 3 ? 0x800 : 0x10000;
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return i;
    i += len;
  }
  return std::nullopt;
}

}  // namespace

TEST_CASE("well-formed UTF-8 passes, each ill-formed kind is found at its first byte") {
  CHECK_FALSE(firstInvalidUtf8(""));
  CHECK_FALSE(firstInvalidUtf8("plain ascii, longer than one word of eight bytes"));
  CHECK_FALSE(firstInvalidUtf8("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x91\x8D \xF4\x8F\xBF\xBF"));
  struct Case {
    std::string bytes;
    std::size_t at;
  };
  const std::vector<Case> bad = {
      {"abc\x80", 3},           // stray continuation
      {"abcdefgh\xC0\xAF", 8},  // overlong '/'
      {"\xC1\xBF", 0},          // overlong
      {"\xE0\x9F\xBF", 0},      // overlong three-byte
      {"ab\xED\xA0\x80", 2},    // encoded surrogate U+D800
      {"ab\xED\xB0\x80", 2},    // encoded surrogate U+DC00 (what a lone \udc00 became)
      {"\xF0\x8F\xBF\xBF", 0},  // overlong four-byte
      {"\xF4\x90\x80\x80", 0},  // above U+10FFFF
      {"\xF5\x80\x80\x80", 0},  // never a lead byte
      {"0123456789\xC3", 10},   // truncated at the end
      {"0123456\xE2\x82", 7},   // truncated across a word boundary
      {"\xC3\x28", 0},          // lead byte without continuation
  };
  for (const auto& c : bad) {
    CAPTURE(c.bytes);
    const auto at = firstInvalidUtf8(c.bytes);
    REQUIRE(at.has_value());
    CHECK(*at == c.at);
  }
}

TEST_CASE("the word-at-a-time validator agrees with a byte-by-byte reference") {
  std::mt19937 rng(20261201);
  const std::string alphabet[] = {"a",
                                  "Z",
                                  " ",
                                  "\"",
                                  "\xC3\xA9",
                                  "\xE2\x82\xAC",
                                  "\xF0\x9F\x91\x8D",
                                  "\x80",
                                  "\xC3",
                                  "\xED\xA0\x80",
                                  "\xF4\x90\x80\x80",
                                  "\xE0\x80"};
  for (int round = 0; round < 20000; ++round) {
    std::string s;
    const int parts = static_cast<int>(rng() % 40);
    for (int p = 0; p < parts; ++p) {
      // Mostly ASCII, as Meta's bodies are; sometimes a multi-byte or a broken sequence.
      const std::size_t pick = rng() % 100 < 85 ? rng() % 4 : rng() % 12;
      s += alphabet[pick];
    }
    CAPTURE(s);
    CHECK(firstInvalidUtf8(s) == referenceInvalid(s));
  }
}

TEST_CASE("lone low surrogates are found at their backslash, pairs are not") {
  CHECK_FALSE(firstLoneLowSurrogate(R"("plain")"));
  CHECK_FALSE(firstLoneLowSurrogate(R"("\ud83d\udc4d")"));
  CHECK_FALSE(firstLoneLowSurrogate(R"("\\udc00")"));  // an escaped backslash, then text
  CHECK_FALSE(firstLoneLowSurrogate(R"("\u00e9\n\/")"));
  CHECK_FALSE(firstLoneLowSurrogate(R"("\udc0")"));  // not four hex digits: not ours
  CHECK(firstLoneLowSurrogate(R"("\udc00")") == 1u);
  CHECK(firstLoneLowSurrogate(R"("ab\uDFFF")") == 3u);
  CHECK(firstLoneLowSurrogate(R"("\\\udc00")") == 3u);       // escaped backslash, then the escape
  CHECK(firstLoneLowSurrogate(R"("\ud83dx\udc4d")") == 8u);  // not directly after the high
  CHECK(firstLoneLowSurrogate(R"("\udc4d\ud83d")") == 1u);
  CHECK(firstLoneLowSurrogate(R"("\ud83d\udc4d\udc4d")") == 13u);
}
