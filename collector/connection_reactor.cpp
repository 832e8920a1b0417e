#include "connection_reactor.hpp"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <vector>

namespace touchpoint::collector {
namespace {

using Clock = std::chrono::steady_clock;
// How often deadlines are checked: the timeouts are seconds, so a quarter second is precise enough.
constexpr int kSweepIntervalMs = 250;
constexpr std::size_t kReadChunk = 16 * 1024;

void raise_descriptor_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
}

void send_all(int fd, const std::string& bytes) {
  std::size_t sent = 0;
  // Best effort and non-blocking: this is a refusal, the connection is closed right after.
  while (sent < bytes.size()) {
    const ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n <= 0) return;
    sent += static_cast<std::size_t>(n);
  }
}

}  // namespace

ConnectionReactor::ConnectionReactor(ReactorLimits limits, Dispatch dispatch)
    : limits_(limits), dispatch_(std::move(dispatch)) {
  raise_descriptor_limit();
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = wake_fd_;
  epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &ev);
  thread_ = std::thread([this] { run(); });
}

ConnectionReactor::~ConnectionReactor() {
  stop();
  if (thread_.joinable()) thread_.join();
  ::close(epoll_fd_);
  ::close(wake_fd_);
}

std::size_t ConnectionReactor::parked() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return connections_.size();
}

void ConnectionReactor::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
  }
  const std::uint64_t one = 1;
  (void)!::write(wake_fd_, &one, sizeof one);
  if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto& [fd, connection] : connections_) ::close(fd);
  connections_.clear();
}

ConnectionReactor::Verdict ConnectionReactor::judge(std::string* bytes) const {
  const HeadScan head = scan_request_head(*bytes, limits_.head);
  if (head.state == HeadState::too_large) return Verdict::too_large;
  if (head.state == HeadState::incomplete) return Verdict::wait;
  if (head.bad_content_length) return Verdict::bad_request;
  // A body we will read here: wait for all of it. Chunked bodies, bodies over the limit (httplib
  // drains them and answers 413) and clients waiting for "100 Continue" go to a worker now; the
  // worker's reads still stop at the request deadline.
  if (head.content_length && !head.chunked && !head.expect_continue && *head.content_length <= limits_.max_body_bytes &&
      bytes->size() < head.head_bytes + *head.content_length)
    return Verdict::wait;
  return Verdict::dispatch;
}

void ConnectionReactor::answer_and_linger(int fd, int status, const char* code, const char* message) {
  const std::string body = std::string("{\"error\":{\"code\":\"") + code + "\",\"message\":\"" + message + "\"}}";
  const char* reason = status == 431 ? "Request Header Fields Too Large"
                       : status == 408 ? "Request Timeout"
                       : status == 503 ? "Service Unavailable"
                                       : "Bad Request";
  send_all(fd, "HTTP/1.1 " + std::to_string(status) + " " + reason +
                   "\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: " +
                   std::to_string(body.size()) + "\r\n\r\n" + body);
  ::shutdown(fd, SHUT_WR);
  std::lock_guard<std::mutex> lock(mutex_);
  if (stopping_) {
    ::close(fd);
    return;
  }
  Connection c;
  c.lingering = true;
  c.first_byte_at = c.idle_since = Clock::now();
  watch_locked(fd, std::move(c));
}

void ConnectionReactor::watch_locked(int fd, Connection c) {
  connections_[fd] = std::move(c);
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLRDHUP;
  ev.data.fd = fd;
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
    connections_.erase(fd);
    ::close(fd);
  }
}

void ConnectionReactor::close_locked(int fd) {
  epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
  connections_.erase(fd);
  ::close(fd);
}

void ConnectionReactor::park(int fd, std::string bytes) {
  std::unique_lock<std::mutex> lock(mutex_);
  if (stopping_) {
    ::close(fd);
    return;
  }
  if (connections_.size() >= limits_.max_connections) {
    lock.unlock();
    answer_and_linger(fd, 503, "too_many_connections", "the collector holds too many connections; retry later");
    return;
  }
  if (!bytes.empty()) {
    // A pipelined request may already be complete.
    const Verdict verdict = judge(&bytes);
    if (verdict == Verdict::dispatch) {
      lock.unlock();
      dispatch_(fd, std::move(bytes));
      return;
    }
    if (verdict != Verdict::wait) {
      lock.unlock();
      answer_and_linger(fd, verdict == Verdict::too_large ? 431 : 400,
                       verdict == Verdict::too_large ? "headers_too_large" : "bad_request",
                       verdict == Verdict::too_large ? "request head over the limit" : "malformed request head");
      return;
    }
  }
  Connection c;
  c.idle_since = Clock::now();
  c.receiving = !bytes.empty();
  c.first_byte_at = c.idle_since;
  c.bytes = std::move(bytes);
  watch_locked(fd, std::move(c));
}

void ConnectionReactor::sweep(Clock::time_point now) {
  std::vector<int> timed_out_requests;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto it = connections_.begin(); it != connections_.end();) {
      const int fd = it->first;
      const Connection& c = it->second;
      ++it;
      if (c.lingering) {
        if (now - c.idle_since > limits_.linger_timeout) close_locked(fd);
      } else if (c.receiving && now - c.first_byte_at > limits_.request_timeout) {
        epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
        connections_.erase(fd);
        timed_out_requests.push_back(fd);
      } else if (!c.receiving && now - c.idle_since > limits_.idle_timeout) {
        close_locked(fd);
      }
    }
  }
  for (int fd : timed_out_requests)
    answer_and_linger(fd, 408, "request_timeout", "the request did not arrive in time");
}

void ConnectionReactor::run() {
  std::vector<epoll_event> events(256);
  std::vector<char> chunk(kReadChunk);
  auto last_sweep = Clock::now();
  for (;;) {
    const int n = epoll_wait(epoll_fd_, events.data(), static_cast<int>(events.size()), kSweepIntervalMs);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (stopping_) return;
    }
    for (int i = 0; i < n; ++i) {
      const int fd = events[i].data.fd;
      if (fd == wake_fd_) continue;
      std::unique_lock<std::mutex> lock(mutex_);
      auto it = connections_.find(fd);
      if (it == connections_.end()) continue;
      Connection& c = it->second;
      if (c.lingering) {
        ssize_t got = 0;
        while ((got = ::recv(fd, chunk.data(), chunk.size(), MSG_DONTWAIT)) > 0) {
        }
        if (got == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) close_locked(fd);
        continue;
      }
      bool peer_closed = false;
      // Read what is there (bounded by what a request may be), without blocking.
      const std::size_t cap = limits_.head.max_head_bytes + limits_.max_body_bytes + kReadChunk;
      for (;;) {
        const ssize_t got = ::recv(fd, chunk.data(), chunk.size(), MSG_DONTWAIT);
        if (got > 0) {
          if (!c.receiving) {
            c.receiving = true;
            c.first_byte_at = Clock::now();
          }
          c.bytes.append(chunk.data(), static_cast<std::size_t>(got));
          if (c.bytes.size() >= cap) break;
          continue;
        }
        if (got == 0) peer_closed = true;
        else if (errno == EINTR) continue;
        else if (errno != EAGAIN && errno != EWOULDBLOCK) peer_closed = true;
        break;
      }
      const Verdict verdict = c.receiving ? judge(&c.bytes) : Verdict::wait;
      if (verdict == Verdict::dispatch) {
        std::string bytes = std::move(c.bytes);
        epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
        connections_.erase(it);
        lock.unlock();
        dispatch_(fd, std::move(bytes));
        continue;
      }
      if (verdict == Verdict::too_large || verdict == Verdict::bad_request) {
        epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
        connections_.erase(it);
        lock.unlock();
        if (verdict == Verdict::too_large)
          answer_and_linger(fd, 431, "headers_too_large", "request head over the limit");
        else
          answer_and_linger(fd, 400, "bad_request", "malformed request head");
        continue;
      }
      if (peer_closed) close_locked(fd);
    }
    const auto now = Clock::now();
    if (now - last_sweep >= std::chrono::milliseconds(kSweepIntervalMs)) {
      sweep(now);
      last_sweep = now;
    }
  }
}

}  // namespace touchpoint::collector
