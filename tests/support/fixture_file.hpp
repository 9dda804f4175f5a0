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

}  // namespace test
HANDOVER_END_NAMESPACE
