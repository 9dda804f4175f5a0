#pragma once
// Test helper: a one-line, human-checkable rendering of parsed events, compared with the
// hand-written `.expected` files next to each fixture.

#include <string>

#include "handover/webhook/events.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace webhook::test {

std::string render(const Event& e);
std::string render(const EventError& e);
std::string render(const Change& c);
/// Events, then changes, then errors, one per line.
std::string render(const Batch& b);

std::string readFile(const std::string& path);

}  // namespace webhook::test
HANDOVER_END_NAMESPACE
