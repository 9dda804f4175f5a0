#include "handover/core/result.hpp"
#include "catch.hpp"
#include "handover/core/http_transport.hpp"

using handover::Error;
using handover::ErrorCategory;
using handover::Result;

TEST_CASE("Result holds a value or an error and value() throws the error") {
  Result<int> ok = 42;
  REQUIRE(ok.has_value());
  CHECK(*ok == 42);
  CHECK(ok.value() == 42);

  Result<int> bad = handover::detail::invalidArgument("recipient is empty");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().category == ErrorCategory::kInvalidArgument);
  CHECK(bad.value_or(7) == 7);
  try {
    (void)bad.value();
    FAIL("value() did not throw");
  } catch (const handover::Exception& e) {
    CHECK(e.error().message == "recipient is empty");
    CHECK(std::string(e.what()).find("invalid_argument") != std::string::npos);
  }

  Result<void> done;
  CHECK(done.has_value());
  Result<void> failed = handover::detail::invalidArgument("x");
  CHECK_THROWS_AS(failed.value(), handover::Exception);
}

TEST_CASE("Error predicates classify by code and subcode") {
  Error e;
  e.category = ErrorCategory::kApi;
  e.code = 10;
  e.subcode = 2018300;
  CHECK(e.isAnotherAppControllingThread());
  CHECK_FALSE(e.isPermissionDenied());
  CHECK_FALSE(e.isRetryable());
  e.subcode = 0;
  CHECK(e.isPermissionDenied());
  e.code = 190;
  CHECK(e.isInvalidToken());
  CHECK_FALSE(e.isRetryable());
  e.code = 613;
  CHECK(e.isRateLimited());
  CHECK(e.isRetryable());
  e.code = 27;
  CHECK(e.isTakeNotSupportedWithoutDefaultApp());
  e.code = 100;
  e.subcode = 2534037;
  CHECK(e.isNotThreadOwner());
}
