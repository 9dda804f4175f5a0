// The parser's number and key layers (src/webhook/parse_numbers.hpp, parse_keys.hpp), tested
// directly: the SWAR fast path (up to 16 digits), the exact slow path (17 to 19 digits) and the
// word-wise key lookup. Inputs sit in padded buffers, as in the parser (16 bytes readable past a
// number, kMaxKey past a key), with junk after them so a read past the end would be caught.

#include <charconv>
#include <cstdint>
#include <limits>
#include <optional>
#include <random>
#include <string>

#include "catch.hpp"
#include "parse_keys.hpp"
#include "parse_numbers.hpp"

namespace {

using handover::webhook::detail::allDigits;
using handover::webhook::detail::Ctx;
using handover::webhook::detail::Field;
using handover::webhook::detail::findKey;
using handover::webhook::detail::kContextMasks;
using handover::webhook::detail::kMaxKey;
using handover::webhook::detail::loadLittleEndian64;
using handover::webhook::detail::toInt64;

// The text followed by junk digits: a decoder that read past `n` would see them.
std::optional<std::int64_t> decode(const std::string& text) {
  std::string buffer = text + std::string(40, '7');
  std::int64_t out = 0;
  if (!toInt64(buffer.data(), text.size(), out)) return std::nullopt;
  return out;
}

std::uint64_t maskOf(Ctx c) {
  return kContextMasks[static_cast<std::size_t>(c)];
}

Field lookup(const std::string& key, Ctx c) {
  std::string buffer = key + std::string(kMaxKey + 8, 'x');
  return findKey(buffer.data(), key.size(), maskOf(c));
}

}  // namespace

TEST_CASE("toInt64 decodes every length from 1 to 19 digits exactly") {
  std::string digits;
  std::int64_t want = 0;
  for (int len = 1; len <= 19; ++len) {
    const char d = static_cast<char>('1' + (len % 9));
    digits += d;
    want = want * 10 + (d - '0');
    INFO(digits);
    CHECK(decode(digits) == want);
    CHECK(decode("-" + digits) == -want);
  }
  CHECK(decode("0") == 0);
  CHECK(decode("-0") == 0);
  CHECK(decode("0000000000000042") == 42);          // 16 digits: the fast path's longest
  CHECK(decode("00000000000000042") == 42);         // 17: the slow path
  CHECK(decode("1767225600000") == 1767225600000);  // an epoch-ms timestamp (13 digits)
}

TEST_CASE("toInt64 holds the int64 range and refuses one past it") {
  CHECK(decode("9223372036854775807") == std::numeric_limits<std::int64_t>::max());
  CHECK(decode("-9223372036854775808") == std::numeric_limits<std::int64_t>::min());
  CHECK_FALSE(decode("9223372036854775808"));
  CHECK_FALSE(decode("-9223372036854775809"));
  CHECK_FALSE(decode("99999999999999999999"));  // 20 digits
}

TEST_CASE("toInt64 refuses anything but digits at every position of both paths") {
  CHECK_FALSE(decode(""));
  CHECK_FALSE(decode("-"));
  // The bytes around '0'..'9' and the ones that could carry out of a SWAR lane.
  for (const char bad : {'/', ':', '.', 'e', '+', '-', ' ', '\0', '\xfa', '\xff'}) {
    for (std::size_t len : {1u, 7u, 8u, 9u, 15u, 16u, 17u, 19u}) {
      for (std::size_t at = 0; at < len; ++at) {
        std::string s(len, '5');
        s[at] = bad;
        if (bad == '-' && at == 0) continue;  // a sign, not a bad byte
        INFO("length " << len << ", bad byte " << int(static_cast<unsigned char>(bad)) << " at "
                       << at);
        CHECK_FALSE(decode(s));
      }
    }
  }
}

TEST_CASE("toInt64 agrees with std::from_chars on random integers of every length") {
  std::mt19937_64 rng(20261202);
  for (int i = 0; i < 20000; ++i) {
    const int len = 1 + static_cast<int>(rng() % 19);
    std::string s;
    if (rng() % 4 == 0) s += '-';
    for (int k = 0; k < len; ++k) s += static_cast<char>('0' + rng() % 10);
    std::int64_t want = 0;
    const auto r = std::from_chars(s.data(), s.data() + s.size(), want);
    const bool valid = r.ec == std::errc() && r.ptr == s.data() + s.size();
    INFO(s);
    if (valid) {
      CHECK(decode(s) == want);
    } else {
      CHECK_FALSE(decode(s));
    }
  }
}

TEST_CASE("allDigits accepts ids and refuses the rest") {
  CHECK(allDigits("263902037430900", 15));
  CHECK_FALSE(allDigits("", 0));
  CHECK_FALSE(allDigits("-1", 2));
  CHECK_FALSE(allDigits("1e5", 3));
}

TEST_CASE("loadLittleEndian64 puts byte i in bits 8i to 8i+7") {
  const char bytes[8] = {'\x01', '\x02', '\x03', '\x04', '\x05', '\x06', '\x07', '\x08'};
  CHECK(loadLittleEndian64(bytes) == 0x0807060504030201ULL);
}

TEST_CASE("findKey finds each modelled key in its own context only") {
  CHECK(lookup("sender", Ctx::kEvent) == Field::kSender);
  CHECK(lookup("timestamp", Ctx::kEvent) == Field::kTimestamp);
  CHECK(lookup("request_thread_control", Ctx::kEvent) == Field::kRequest);
  CHECK(lookup("requested_owner_app_id", Ctx::kHandover) == Field::kRequestedOwner);
  CHECK(lookup("notification_messages_token", Ctx::kOptin) == Field::kNotificationToken);
  CHECK(lookup("mid", Ctx::kMessage) == Field::kMid);
  // Known names outside the objects that model them are unknown keys there.
  CHECK(lookup("mid", Ctx::kEvent) == Field::kNone);
  CHECK(lookup("sender", Ctx::kMessage) == Field::kNone);
  // Near misses: a prefix, one more byte, a different byte at the end, another case.
  CHECK(lookup("sende", Ctx::kEvent) == Field::kNone);
  CHECK(lookup("senders", Ctx::kEvent) == Field::kNone);
  CHECK(lookup("sendeR", Ctx::kEvent) == Field::kNone);
  CHECK(lookup("Sender", Ctx::kEvent) == Field::kNone);
  CHECK(lookup("", Ctx::kEvent) == Field::kNone);
  // Longer than any modelled key: never read past kMaxKey.
  CHECK(lookup(std::string(kMaxKey + 1, 'a'), Ctx::kEvent) == Field::kNone);
  CHECK(lookup("request_thread_control_and_more_bytes", Ctx::kEvent) == Field::kNone);
}
