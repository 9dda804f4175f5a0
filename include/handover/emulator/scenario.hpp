#pragma once
/// @file
/// Scenario tests: a scripted conversation run against an emulator and the apps it delivers to,
/// with expectations on ownership, deliveries and what the apps sent. `handover emulator test`
/// runs them; `runScenario` does the same from C++. The format is in README.md, "Scenario
/// reference".
///
/// @code{.json}
/// {"name":"escalation","page_id":"100000000000002","user_id":"6543210987654321",
///  "steps":[{"user_says":"can I talk to a human?"},
///           {"expect_owner":{"app_id":"2222222222","within_ms":2000}},
///           {"expect_received":{"app_id":"2222222222","event":"pass_thread_control",
///                               "metadata":"escalation: user asked for a human"}},
///           {"advance":"25h"},
///           {"expect_owner":{"app_id":null}}]}
/// @endcode

#include <chrono>
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "handover/core/export.hpp"
#include "handover/core/result.hpp"
#include "handover/emulator/config.hpp"
#include "handover/emulator/emulator.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace emulator {

/// What a step does or checks (its key in the JSON).
enum class StepKind {
  kUserSays,         ///< `user_says`: the user sends a text (or quick reply).
  kUserTaps,         ///< `user_taps`: the user taps a postback button.
  kInboxReplies,     ///< `inbox_replies`: a human answers from the Page (or Instagram) Inbox.
  kInboxMoves,       ///< `inbox_moves`: the human moves the thread to Main or Done.
  kAdvance,          ///< `advance`: the emulator's clock moves forward.
  kLeadGenPass,      ///< `lead_gen_pass`: a Lead-Gen ad hands the thread to an app.
  kWait,             ///< `wait`: real time passes (let apps act on their own timers).
  kExpectOwner,      ///< `expect_owner`: the thread's owner is an app (or idle) within a time.
  kExpectReceived,   ///< `expect_received`: an app was delivered an event (kind, metadata...).
  kExpectSent,       ///< `expect_sent`: an app sent the user a message containing a text.
  kExpectNoMessage,  ///< `expect_no_message`: an app sent nothing after a given step.
};

/// The JSON key of a step kind ("user_says", "expect_owner", ...).
HANDOVER_EMULATOR_EXPORT const char* toString(StepKind kind) noexcept;

/// One step; which fields matter depends on `kind` (README.md, "Scenario reference").
struct ScenarioStep {
  StepKind kind = StepKind::kUserSays;  ///< What the step does or checks.
  std::string path;                     ///< Where it stands in the file, e.g. "steps[3]".
  std::string page_id;                  ///< The thread's page (the scenario's by default).
  std::string user_id;                  ///< The thread's user (the scenario's by default).
  std::string app_id;   ///< Expectations: the app; empty with `idle` for expect_owner.
  bool idle = false;    ///< expect_owner: nobody owns the thread.
  std::string text;     ///< Said, replied, or (expect_sent) the text to contain.
  std::string payload;  ///< user_taps: the postback payload; user_says: a quick reply's.
  std::string event;    ///< expect_received: the event's key ("pass_thread_control"...).
  std::optional<std::string> metadata;  ///< expect_received: the handover event's metadata.
  std::string channel;                  ///< expect_received: "messaging", "standby" or "" (either).
  InboxFolder folder = InboxFolder::kDone;  ///< inbox_moves.
  bool complete = true;                     ///< lead_gen_pass.
  std::chrono::milliseconds duration{0};    ///< advance (emulator clock), wait (real time).
  std::chrono::milliseconds within{0};      ///< Expectations: how long to wait for it.
  std::size_t after_step = 0;               ///< expect_no_message / expect_sent: 1-based; 0: none.
};

/// A parsed scenario file.
struct Scenario {
  std::string name;  ///< `name`; the file name when absent.
  std::string file;  ///< The file it came from ("" when parsed from text).
  /// `config` (a path, relative to the scenario file) or `world` (inline): the world the runner
  /// starts an emulator with. Empty: the command line's `--config`, or the default world.
  std::optional<Config> config;
  std::vector<ScenarioStep> steps;  ///< In order; numbered from 1 in reports.
};

/// Parses a scenario. `file` names it in errors, which read "FILE: steps[2].expect_owner.app_id:
/// expected ..." (a parse-category invalid argument); a relative `config` path is resolved
/// against the directory of `file`.
HANDOVER_EMULATOR_EXPORT Result<Scenario> parseScenario(std::string_view json,
                                                        const std::string& file = "scenario");
/// Reads and parses a scenario file.
HANDOVER_EMULATOR_EXPORT Result<Scenario> loadScenarioFile(const std::string& path);

/// How one step went.
enum class StepOutcome { kPassed, kFailed, kSkipped };

/// How one step of a run went.
struct StepReport {
  std::size_t number = 0;  ///< 1-based.
  std::string title;       ///< "user_says \"hello\"", "expect_owner 2222222222 within 2000 ms".
  StepOutcome outcome = StepOutcome::kSkipped;  ///< Passed, failed, or skipped after a failure.
  std::string failure;                ///< What was expected and what was found, on several lines.
  std::chrono::milliseconds took{0};  ///< How long the step ran.
};

/// How a scenario run went.
struct HANDOVER_EMULATOR_EXPORT ScenarioReport {
  std::string name;                   ///< The scenario's name.
  std::string file;                   ///< The file it came from.
  std::vector<StepReport> steps;      ///< Every step, run or skipped.
  std::chrono::milliseconds took{0};  ///< The whole run.
  /// True when every step passed.
  bool passed() const noexcept;
  /// The JUnit XML of the run: one testsuite, one testcase per step.
  std::string junitXml() const;
};

/// Runs `scenario` against the emulator at `base_url` (its control API), step by step, and
/// stops at the first failed step (the rest are skipped). Each step's line, and a failure's
/// diff, go to `progress` when given.
HANDOVER_EMULATOR_EXPORT ScenarioReport runScenario(const Scenario& scenario,
                                                    const std::string& base_url,
                                                    std::ostream* progress = nullptr);

/// The session of the emulator at `base_url` as a scenario skeleton (`GET /_emulator/scenario`):
/// its control actions as steps, and what followed each as expectations. A transport error when
/// the emulator does not answer.
HANDOVER_EMULATOR_EXPORT Result<std::string> recordScenario(const std::string& base_url);

}  // namespace emulator
HANDOVER_END_NAMESPACE
