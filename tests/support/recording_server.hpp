#pragma once
// Loopback servers for tests, all bound to 127.0.0.1 on a free port:
// - RecordingServer: an httplib server that records every request and answers from a script;
// - RawServer: a bare TCP server whose per-connection script writes raw bytes (truncated
//   bodies, resets, silence), for failures no well-behaved HTTP server produces;
// - RefusedPort: a port on which connections are refused.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <httplib.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>
#include "handover/core/export.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace test {

/// One request as the server saw it.
struct RecordedRequest {
  std::string method;
  std::string path;          ///< Decoded path, no query.
  std::string target;        ///< Raw request target: path and query exactly as sent.
  std::string raw_query;     ///< The undecoded part after '?', or empty.
  httplib::Params params;    ///< Decoded query parameters.
  httplib::Headers headers;  ///< Case-insensitive lookups via header().
  std::string body;
  int remote_port = -1;  ///< Client's port: equal ports mean a reused (keep-alive) connection.

  std::string header(const std::string& name) const {
    const auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
  bool hasHeader(const std::string& name) const { return headers.find(name) != headers.end(); }
  std::string param(const std::string& name) const {
    const auto it = params.find(name);
    return it == params.end() ? std::string() : it->second;
  }
  bool hasParam(const std::string& name) const { return params.find(name) != params.end(); }
};

/// What the server answers.
struct ScriptedResponse {
  int status = 200;
  std::string body = R"({"success":true})";
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
};

inline ScriptedResponse jsonResponse(
    int status, std::string body, std::vector<std::pair<std::string, std::string>> headers = {}) {
  ScriptedResponse r;
  r.status = status;
  r.body = std::move(body);
  r.headers = std::move(headers);
  return r;
}

/// An httplib server on 127.0.0.1:<free port> that records requests. Answers come from a FIFO
/// of scripted responses, then from the handler (default: 200 `{"success":true}`).
class RecordingServer {
 public:
  using Handler = std::function<ScriptedResponse(const RecordedRequest&)>;

  RecordingServer() {
    const auto handle = [this](const httplib::Request& req, httplib::Response& res) {
      serve(req, res);
    };
    server_.Get(".*", handle);
    server_.Post(".*", handle);
    server_.Put(".*", handle);
    server_.Patch(".*", handle);
    server_.Delete(".*", handle);
    server_.set_tcp_nodelay(true);  // no Nagle delay between header and body writes
    port_ = server_.bind_to_any_port("127.0.0.1");
    if (port_ <= 0) throw std::runtime_error("RecordingServer: cannot bind 127.0.0.1");
    // The socket already listens, so clients may connect before the accept loop runs.
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    // httplib's stop() is a no-op until the loop runs: a server destroyed at once would hang.
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~RecordingServer() {
    server_.stop();
    if (thread_.joinable()) thread_.join();
  }
  RecordingServer(const RecordingServer&) = delete;
  RecordingServer& operator=(const RecordingServer&) = delete;

  int port() const { return port_; }
  /// "http://127.0.0.1:<port>", for `ClientOptions::base_url`.
  std::string baseUrl() const { return "http://127.0.0.1:" + std::to_string(port_); }

  void enqueue(ScriptedResponse response) {
    std::lock_guard<std::mutex> lock(mutex_);
    script_.push_back(std::move(response));
  }
  void enqueueJson(int status, std::string body,
                   std::vector<std::pair<std::string, std::string>> headers = {}) {
    enqueue(jsonResponse(status, std::move(body), std::move(headers)));
  }
  void setHandler(Handler handler) {
    std::lock_guard<std::mutex> lock(mutex_);
    handler_ = std::move(handler);
  }

  std::vector<RecordedRequest> requests() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return requests_;
  }
  std::size_t requestCount() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return requests_.size();
  }
  /// The latest request; throws when there is none.
  RecordedRequest last() const {
    std::lock_guard<std::mutex> lock(mutex_);
    if (requests_.empty()) throw std::logic_error("RecordingServer: no request recorded");
    return requests_.back();
  }
  void clear() {
    std::lock_guard<std::mutex> lock(mutex_);
    requests_.clear();
    script_.clear();
  }

 private:
  void serve(const httplib::Request& req, httplib::Response& res) {
    RecordedRequest rec;
    rec.method = req.method;
    rec.path = req.path;
    rec.target = req.target;
    const auto q = req.target.find('?');
    if (q != std::string::npos) rec.raw_query = req.target.substr(q + 1);
    rec.params = req.params;
    rec.headers = req.headers;
    rec.body = req.body;
    rec.remote_port = req.remote_port;
    ScriptedResponse answer;
    Handler handler;
    bool scripted = false;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      requests_.push_back(rec);
      if (!script_.empty()) {
        answer = std::move(script_.front());
        script_.pop_front();
        scripted = true;
      } else {
        handler = handler_;
      }
    }
    if (!scripted && handler) answer = handler(rec);
    res.status = answer.status;
    for (const auto& [name, value] : answer.headers) res.set_header(name, value);
    res.set_content(answer.body, answer.content_type.c_str());
  }

  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  mutable std::mutex mutex_;
  std::vector<RecordedRequest> requests_;
  std::deque<ScriptedResponse> script_;
  Handler handler_;
};

/// Writes all of `data` to `fd` (best effort: the peer may be gone).
inline void writeAll(int fd, const std::string& data) {
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::send(fd, data.data() + done, data.size() - done, MSG_NOSIGNAL);
    if (n <= 0) return;
    done += static_cast<std::size_t>(n);
  }
}

/// Closes `fd` with a TCP reset instead of an orderly FIN.
inline void resetConnection(int fd) {
  linger l{};
  l.l_onoff = 1;
  l.l_linger = 0;
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  ::close(fd);
}

/// A bare TCP server on 127.0.0.1:<free port>. Connections are served one at a time: the
/// server reads the request head (and a Content-Length body), then runs the script with the
/// socket. The socket is closed after the script unless the script closed it (returns false).
class RawServer {
 public:
  /// Gets the socket and the raw request; returns false when it closed the socket itself.
  using Script = std::function<bool(int fd, const std::string& request)>;

  explicit RawServer(Script script) : script_(std::move(script)) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    socklen_t len = sizeof addr;
    if (listen_fd_ < 0 ||
        ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(listen_fd_, 16) != 0 ||
        ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      if (listen_fd_ >= 0) ::close(listen_fd_);
      throw std::runtime_error("RawServer: cannot listen on 127.0.0.1");
    }
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { loop(); });
  }
  ~RawServer() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
    ::close(listen_fd_);
  }
  RawServer(const RawServer&) = delete;
  RawServer& operator=(const RawServer&) = delete;

  int port() const { return port_; }
  std::string baseUrl() const { return "http://127.0.0.1:" + std::to_string(port_); }
  /// Connections accepted so far.
  int connections() const { return connections_.load(); }

  /// For scripts that never answer: blocks until the server is being destroyed.
  void waitForStop() {
    std::unique_lock<std::mutex> lock(mutex_);
    cv_.wait(lock, [this] { return stopping_; });
  }

 private:
  bool stopping() {
    std::lock_guard<std::mutex> lock(mutex_);
    return stopping_;
  }

  static std::string readRequest(int fd) {
    std::string data;
    char buf[4096];
    std::size_t want = std::string::npos;
    while (data.size() < (1u << 20)) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 2000) <= 0) break;
      const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) break;
      data.append(buf, static_cast<std::size_t>(n));
      const auto head_end = data.find("\r\n\r\n");
      if (head_end == std::string::npos) continue;
      if (want == std::string::npos) {
        want = head_end + 4;
        auto cl = data.find("Content-Length:");
        if (cl == std::string::npos) cl = data.find("content-length:");
        if (cl != std::string::npos && cl < head_end) want += std::stoul(data.substr(cl + 15));
      }
      if (data.size() >= want) break;
    }
    return data;
  }

  void loop() {
    while (!stopping()) {
      pollfd p{listen_fd_, POLLIN, 0};
      if (::poll(&p, 1, 20) <= 0) continue;
      const int fd = ::accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) continue;
      ++connections_;
      const std::string request = readRequest(fd);
      if (script_(fd, request)) ::close(fd);
    }
  }

  Script script_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<int> connections_{0};
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

/// A loopback port that refuses connections: bound but never listening, so no other test can
/// take it while this object lives. It is bound with SO_REUSEPORT, as cpp-httplib binds its
/// servers, so a test can start a server on the same port *before* letting this one go: no
/// window in which another process could take the port.
class RefusedPort {
 public:
  RefusedPort() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    const int yes = 1;
    if (fd_ >= 0) ::setsockopt(fd_, SOL_SOCKET, SO_REUSEPORT, &yes, sizeof yes);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      throw std::runtime_error("RefusedPort: cannot bind 127.0.0.1");
    }
    port_ = ntohs(addr.sin_port);
  }
  ~RefusedPort() { ::close(fd_); }
  RefusedPort(const RefusedPort&) = delete;
  RefusedPort& operator=(const RefusedPort&) = delete;

  int port() const { return port_; }
  std::string baseUrl() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  int fd_ = -1;
  int port_ = 0;
};

}  // namespace test
HANDOVER_END_NAMESPACE
