#include "child_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

extern char** environ;

namespace demo {

std::unique_ptr<ChildProcess> ChildProcess::spawn(
    const std::vector<std::string>& argv, const std::map<std::string, std::string>& extra_env,
    std::string& error) {
  int in_pipe[2];
  int out_pipe[2];
  if (pipe2(in_pipe, O_CLOEXEC) != 0) {
    error = std::strerror(errno);
    return nullptr;
  }
  if (pipe2(out_pipe, O_CLOEXEC) != 0) {
    error = std::strerror(errno);
    close(in_pipe[0]);
    close(in_pipe[1]);
    return nullptr;
  }
  // Writing to a child that already exited must be an error, not a SIGPIPE.
  signal(SIGPIPE, SIG_IGN);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in_pipe[0], 0);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 2);

  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string entry = *e;
    const std::string key = entry.substr(0, entry.find('='));
    if (!extra_env.count(key)) env_strings.push_back(entry);
  }
  for (const auto& [k, v] : extra_env) env_strings.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> args = argv;
  std::vector<char*> argp;
  for (auto& s : args) argp.push_back(s.data());
  argp.push_back(nullptr);

  pid_t pid = -1;
  const int rc = posix_spawn(&pid, argp[0], &actions, nullptr, argp.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  close(in_pipe[0]);
  close(out_pipe[1]);
  if (rc != 0) {
    error = std::string("cannot start ") + argv[0] + ": " + std::strerror(rc);
    close(in_pipe[1]);
    close(out_pipe[0]);
    return nullptr;
  }
  std::unique_ptr<ChildProcess> child(new ChildProcess());
  child->pid_ = pid;
  child->stdin_fd_ = in_pipe[1];
  child->stdout_fd_ = out_pipe[0];
  return child;
}

ChildProcess::~ChildProcess() {
  stop(std::chrono::milliseconds(2000));
}

std::optional<std::string> ChildProcess::readFirstLine(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string line;
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::nullopt;
    pollfd p{stdout_fd_, POLLIN, 0};
    const int n = poll(&p, 1, static_cast<int>(left.count()));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return std::nullopt;
    char c;
    const ssize_t got = read(stdout_fd_, &c, 1);
    if (got <= 0) return std::nullopt;
    if (c == '\n') break;
    line.push_back(c);
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    log_.push_back(line);
  }
  // From here on a thread keeps the pipe empty so the child never blocks on its output.
  drainer_ = std::thread([this] { drain(); });
  return line;
}

void ChildProcess::drain() {
  char buf[4096];
  while (true) {
    const ssize_t got = read(stdout_fd_, buf, sizeof buf);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;
    std::lock_guard<std::mutex> lock(mu_);
    for (ssize_t i = 0; i < got; ++i) {
      if (buf[i] == '\n') {
        log_.push_back(pending_);
        pending_.clear();
      } else {
        pending_.push_back(buf[i]);
      }
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (!pending_.empty()) log_.push_back(pending_);
  pending_.clear();
}

bool ChildProcess::writeLine(const std::string& line) {
  const std::string data = line + "\n";
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = write(stdin_fd_, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

int ChildProcess::stop(std::chrono::milliseconds grace) {
  if (stdin_fd_ >= 0) {
    close(stdin_fd_);
    stdin_fd_ = -1;
  }
  if (!reaped_ && pid_ > 0) {
    const auto deadline = std::chrono::steady_clock::now() + grace;
    while (true) {
      const pid_t r = waitpid(pid_, &status_, WNOHANG);
      if (r == pid_ || (r < 0 && errno != EINTR)) break;
      if (std::chrono::steady_clock::now() >= deadline) {
        kill(pid_, SIGKILL);  // our own child, by its pid
        waitpid(pid_, &status_, 0);
        break;
      }
      usleep(10'000);
    }
    reaped_ = true;
  }
  if (drainer_.joinable()) drainer_.join();
  if (stdout_fd_ >= 0) {
    close(stdout_fd_);
    stdout_fd_ = -1;
  }
  return status_;
}

std::vector<std::string> ChildProcess::log() const {
  std::lock_guard<std::mutex> lock(mu_);
  return log_;
}

}  // namespace demo
