// Offline webhook tools: `parse` (a body to one normalized JSON line per event) and `verify`
// (a body against a signature header value). Both read a file or stdin, byte for byte.

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <system_error>

#include "commands.hpp"
#include "event_lines.hpp"
#include "handover/webhook/parser.hpp"
#include "handover/webhook/signature.hpp"
#include "json_line.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace cli {
namespace {

using namespace handover::webhook;

// No webhook body is larger than the parser accepts; reading stops one byte past it, so a
// huge input never fills memory first.
constexpr std::size_t kMaxInput = ParseOptions{}.max_body_bytes;

// Up to `kMaxInput` + 1 bytes of `in`: one more than the cap tells "too large".
std::string readCapped(std::istream& in) {
  std::string body;
  char chunk[64 * 1024];
  while (body.size() <= kMaxInput && in.read(chunk, sizeof chunk).gcount() > 0) {
    body.append(chunk, static_cast<std::size_t>(in.gcount()));
  }
  if (body.size() > kMaxInput + 1) body.resize(kMaxInput + 1);
  return body;
}

// The body: the named file, or stdin for "-" or no name. nullopt (with the reason on stderr)
// when it cannot be read or is larger than a webhook body may be.
std::optional<std::string> readInput(const Args& args, std::size_t file_index) {
  const bool from_stdin =
      args.positionals.size() <= file_index || args.positionals[file_index] == "-";
  std::string body;
  const std::string source = from_stdin ? "standard input" : args.positionals[file_index];
  if (from_stdin) {
    body = readCapped(std::cin);
  } else {
    const std::string& path = args.positionals[file_index];
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) {
      std::cerr << "handover: cannot read " << path << ": "
                << std::make_error_code(std::errc::is_a_directory).message() << "\n";
      return std::nullopt;
    }
    errno = 0;
    std::ifstream in(path, std::ios::binary);
    if (in) body = readCapped(in);
    if (!in && !in.eof()) {
      const int err = errno;
      std::cerr << "handover: cannot read " << path << ": "
                << (err != 0 ? std::error_code(err, std::generic_category()).message()
                             : std::string("read error"))
                << "\n";
      return std::nullopt;
    }
  }
  if (body.size() > kMaxInput) {
    std::cerr << "handover: " << source << " holds more than " << kMaxInput
              << " bytes, the largest webhook body accepted: not read further\n";
    return std::nullopt;
  }
  return body;
}

// The parser's message without its own "webhook body: " prefix (the CLI says what it read).
std::string withoutPrefix(const std::string& message) {
  constexpr std::string_view kPrefix = "webhook body: ";
  return message.rfind(kPrefix, 0) == 0 ? message.substr(kPrefix.size()) : message;
}

}  // namespace

int cmdParse(const Args& args) {
  auto body = readInput(args, 0);
  if (!body) return kExitFailure;
  auto batch = parse(*body);
  if (!batch) {
    std::cerr << "handover: not a webhook body: " << withoutPrefix(batch.error().message);
    if (batch.error().offset) std::cerr << " (at byte " << *batch.error().offset << ")";
    std::cerr << "\n";
    return kExitFailure;
  }
  const bool flat = args.has("--flat");
  for (const Event& e : batch->events) {
    std::cout << (flat ? flatLine(e) : contractLine(e, *body)) << "\n";
  }
  if (flat) {
    for (const Change& c : batch->changes) std::cout << flatLine(c) << "\n";
  } else if (batch->isDashboardTest()) {
    // The contract has no kind for these: say so where scripts do not read.
    std::cerr << "handover: a dashboard test payload (" << batch->changes.size()
              << " entry[].changes[] item(s), no events): nothing to print\n";
  }
  std::cout.flush();
  for (const EventError& err : batch->errors) {
    std::cerr << "handover: unreadable event in ";
    if (!err.path.empty()) {
      std::cerr << err.path;
    } else {
      std::cerr << "entry[" << err.entry_index << "]";
      if (err.event_index) {
        std::cerr << (err.standby ? ".standby[" : ".messaging[") << *err.event_index << "]";
      }
    }
    std::cerr << " at byte " << err.offset << ": " << err.message << "\n";
  }
  // Events that could not be read are never dropped silently: the exit code says so.
  return batch->errors.empty() ? kExitOk : kExitFailure;
}

int cmdVerify(const Args& args) {
  const auto header = args.value("--signature");
  if (!header) return usageError(currentCommand(), "--signature is required");
  // NOLINTNEXTLINE(concurrency-mt-unsafe): nothing sets the environment in this process.
  const char* secret = std::getenv("HANDOVER_APP_SECRET");
  if (secret == nullptr || *secret == '\0') {
    return usageError(currentCommand(), "HANDOVER_APP_SECRET is not set (the app secret)");
  }
  auto body = readInput(args, 0);
  if (!body) return kExitFailure;
  // The value's prefix says which header it came from; anything else is checked as sha256 (and
  // then reported malformed).
  // A diagnostic tool: a sha1 value given on purpose is checked as such.
  const bool sha1 = header->rfind("sha1=", 0) == 0;
  const HttpHeaders headers{
      {std::string(sha1 ? kSignatureSha1Header : kSignature256Header), *header}};
  SignatureOptions options;
  options.allow_sha1 = sha1;
  const SignatureVerdict verdict = checkSignature(*body, headers, secret, options);
  JsonLine line;
  line.boolean("valid", verdict.ok());
  if (verdict.ok()) {
    line.str("algorithm", verdict.algorithm == SignatureAlgorithm::kSha1 ? "sha1" : "sha256");
    std::cout << line.finish() << std::endl;
    return kExitOk;
  }
  line.str("reason", toString(verdict.failure));
  std::cout << line.finish() << std::endl;
  std::cerr << "handover: invalid signature: " << toString(verdict.failure) << "\n";
  return kExitFailure;
}

}  // namespace cli
HANDOVER_END_NAMESPACE
