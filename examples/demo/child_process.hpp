#pragma once
// A supervised child process for the demo driver: its stdin is a pipe we write (closing it asks
// the child to stop), its stdout+stderr a pipe drained into a log by a thread. The destructor
// always reaps the child, killing it if it does not stop in time.

#include <sys/types.h>

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace demo {

class ChildProcess {
 public:
  /// Starts `argv[0]` with `argv`, the current environment plus `extra_env`.
  /// Returns nullopt (with `error` set) when it cannot be started.
  static std::unique_ptr<ChildProcess> spawn(const std::vector<std::string>& argv,
                                             const std::map<std::string, std::string>& extra_env,
                                             std::string& error);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  /// Waits for the first line of output; nullopt on timeout or exit.
  std::optional<std::string> readFirstLine(std::chrono::milliseconds timeout);
  /// Writes a line to the child's stdin.
  bool writeLine(const std::string& line);
  /// Closes stdin, waits up to `grace` for the exit, then kills. Returns the wait status.
  int stop(std::chrono::milliseconds grace);
  /// Everything the child printed so far.
  std::vector<std::string> log() const;
  pid_t pid() const noexcept { return pid_; }

 private:
  ChildProcess() = default;
  void drain();

  pid_t pid_ = -1;
  int stdin_fd_ = -1;
  int stdout_fd_ = -1;
  bool reaped_ = false;
  int status_ = 0;
  std::string pending_;  // partial line
  mutable std::mutex mu_;
  std::vector<std::string> log_;
  std::thread drainer_;
};

}  // namespace demo
