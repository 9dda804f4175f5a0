#pragma once
// Bodies the parser must accept: their batch, or the test fails with the parser's error.

#include <string>
#include <utility>

#include "catch.hpp"
#include "fixture_file.hpp"
#include "handover/webhook/parser.hpp"

namespace handover_test_webhook {

inline handover::webhook::Batch parseOk(const std::string& body) {
  auto r = handover::webhook::parse(body);
  if (!r) FAIL(r.error().toString());
  return std::move(r).value();
}

// The batch of tests/fixtures/webhooks/<name>.
inline handover::webhook::Batch fixtureBatch(const std::string& name) {
  return parseOk(handover::test::webhookFixture(name));
}

}  // namespace handover_test_webhook
