// The `main.cpp` README's pkg-config line compiles: a program using the installed library.
#include <iostream>

#include <handover/core/version.hpp>
#include <handover/webhook/parser.hpp>

int main() {
  auto batch = handover::webhook::parse(
      R"({"object":"page","entry":[{"id":"1","time":2,"messaging":[{"sender":{"id":"3"},)"
      R"("recipient":{"id":"1"},"timestamp":4,"message":{"mid":"m_1","text":"hi"}}]}]})");
  std::cout << "handover " << HANDOVER_VERSION_STRING << ": " << (batch ? batch->events.size() : 0)
            << " event\n";
  return batch && batch->events.size() == 1 ? 0 : 1;
}
