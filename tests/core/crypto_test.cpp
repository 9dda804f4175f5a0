#include "core/crypto.hpp"
#include "catch.hpp"

TEST_CASE("HMAC matches RFC 4231 and RFC 2202 vectors") {
  // RFC 4231 test case 2.
  CHECK(handover::detail::hmacSha256Hex("Jefe", "what do ya want for nothing?") ==
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  // RFC 2202 test case 2.
  CHECK(handover::detail::hmacSha1Hex("Jefe", "what do ya want for nothing?") ==
        "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
}

TEST_CASE("constantTimeEquals compares content and length") {
  CHECK(handover::detail::constantTimeEquals("abc", "abc"));
  CHECK_FALSE(handover::detail::constantTimeEquals("abc", "abd"));
  CHECK_FALSE(handover::detail::constantTimeEquals("abc", "abcd"));
  CHECK(handover::detail::constantTimeEquals("", ""));
}
