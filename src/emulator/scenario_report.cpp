// Scenario reports (handover/emulator/scenario.hpp): step names and the JUnit XML CI systems
// read (one testsuite per scenario, one testcase per step; skipped after the first failure).

#include <sstream>

#include "handover/emulator/scenario.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace emulator {
namespace {

std::string xmlEscape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        // XML 1.0 allows no control characters but tab and newlines.
        if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t' && c != '\r') {
          out += '?';
        } else {
          out += c;
        }
    }
  }
  return out;
}

std::string seconds(std::chrono::milliseconds ms) {
  std::ostringstream s;
  s.setf(std::ios::fixed);
  s.precision(3);
  s << static_cast<double>(ms.count()) / 1000.0;
  return s.str();
}

}  // namespace

const char* toString(StepKind kind) noexcept {
  switch (kind) {
    case StepKind::kUserSays:
      return "user_says";
    case StepKind::kUserTaps:
      return "user_taps";
    case StepKind::kInboxReplies:
      return "inbox_replies";
    case StepKind::kInboxMoves:
      return "inbox_moves";
    case StepKind::kAdvance:
      return "advance";
    case StepKind::kLeadGenPass:
      return "lead_gen_pass";
    case StepKind::kWait:
      return "wait";
    case StepKind::kExpectOwner:
      return "expect_owner";
    case StepKind::kExpectReceived:
      return "expect_received";
    case StepKind::kExpectSent:
      return "expect_sent";
    case StepKind::kExpectNoMessage:
      return "expect_no_message";
  }
  return "?";
}

bool ScenarioReport::passed() const noexcept {
  for (const auto& s : steps) {
    if (s.outcome != StepOutcome::kPassed) return false;
  }
  return !steps.empty();
}

std::string ScenarioReport::junitXml() const {
  std::size_t failures = 0;
  std::size_t skipped = 0;
  for (const auto& s : steps) {
    failures += s.outcome == StepOutcome::kFailed ? 1 : 0;
    skipped += s.outcome == StepOutcome::kSkipped ? 1 : 0;
  }
  const std::string counts = " tests=\"" + std::to_string(steps.size()) + "\" failures=\"" +
                             std::to_string(failures) + "\" errors=\"0\" skipped=\"" +
                             std::to_string(skipped) + "\" time=\"" + seconds(took) + "\"";
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites" + counts + ">\n";
  out += "  <testsuite name=\"" + xmlEscape(name) + "\"" + counts + ">\n";
  for (const auto& s : steps) {
    out += "    <testcase classname=\"" + xmlEscape(file) + "\" name=\"" +
           xmlEscape("step " + std::to_string(s.number) + ": " + s.title) + "\" time=\"" +
           seconds(s.took) + "\"";
    if (s.outcome == StepOutcome::kPassed) {
      out += "/>\n";
      continue;
    }
    out += ">\n";
    if (s.outcome == StepOutcome::kSkipped) {
      out += "      <skipped message=\"an earlier step failed\"/>\n";
    } else {
      const auto first_line = s.failure.substr(s.failure.find('\n') + 1);
      out += "      <failure message=\"" + xmlEscape(first_line.substr(0, first_line.find('\n'))) +
             "\">" + xmlEscape(s.failure) + "</failure>\n";
    }
    out += "    </testcase>\n";
  }
  out += "  </testsuite>\n</testsuites>\n";
  return out;
}

}  // namespace emulator
HANDOVER_END_NAMESPACE
