#pragma once
// A fixture's bytes, exactly as stored (webhook bodies are signed and parsed as bytes).

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

#include "handover/core/export.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace test {

inline std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

#ifdef HANDOVER_FIXTURES_DIR
// tests/fixtures/webhooks/, with the trailing slash.
inline std::string webhookFixturesDir() {
  return std::string(HANDOVER_FIXTURES_DIR) + "/webhooks/";
}

// A webhook body from tests/fixtures/webhooks/.
inline std::string webhookFixture(const std::string& name) {
  return readFile(webhookFixturesDir() + name);
}
#endif

}  // namespace test
HANDOVER_END_NAMESPACE
