#include "hardened_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace touchpoint::collector {
namespace {

using Clock = std::chrono::steady_clock;

int remaining_ms(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left <= 0 ? 0 : static_cast<int>(left);
}

void endpoint_of(int fd, bool peer, std::string& ip, int& port) {
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  const int rc = peer ? getpeername(fd, reinterpret_cast<sockaddr*>(&addr), &len)
                      : getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  if (rc != 0) return;
  char text[INET6_ADDRSTRLEN] = {0};
  if (addr.ss_family == AF_INET) {
    const auto* a = reinterpret_cast<const sockaddr_in*>(&addr);
    inet_ntop(AF_INET, &a->sin_addr, text, sizeof text);
    port = ntohs(a->sin_port);
  } else if (addr.ss_family == AF_INET6) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(&addr);
    inet_ntop(AF_INET6, &a->sin6_addr, text, sizeof text);
    port = ntohs(a->sin6_port);
  }
  ip = text;
}

// httplib's Stream over a socket whose first bytes were already read by the reactor. Reads serve
// those first, then the socket until the request deadline; what is left over (a pipelined next
// request) goes back to the reactor.
class BufferedSocketStream : public httplib::Stream {
 public:
  BufferedSocketStream(int fd, std::string bytes, Clock::time_point read_deadline,
                       std::chrono::milliseconds write_timeout)
      : fd_(fd), bytes_(std::move(bytes)), read_deadline_(read_deadline), write_timeout_(write_timeout) {}

  bool is_readable() const override {
    if (offset_ < bytes_.size()) return true;
    pollfd p{fd_, POLLIN, 0};
    return ::poll(&p, 1, remaining_ms(read_deadline_)) > 0;
  }
  bool is_writable() const override {
    pollfd p{fd_, POLLOUT, 0};
    return ::poll(&p, 1, static_cast<int>(write_timeout_.count())) > 0;
  }
  ssize_t read(char* ptr, size_t size) override {
    if (offset_ < bytes_.size()) {
      const std::size_t n = std::min(size, bytes_.size() - offset_);
      std::memcpy(ptr, bytes_.data() + offset_, n);
      offset_ += n;
      if (offset_ == bytes_.size()) {
        bytes_.clear();
        offset_ = 0;
      }
      return static_cast<ssize_t>(n);
    }
    if (!is_readable()) return -1;
    for (;;) {
      const ssize_t n = ::recv(fd_, ptr, size, 0);
      if (n < 0 && errno == EINTR) continue;
      return n;
    }
  }
  ssize_t write(const char* ptr, size_t size) override {
    if (!is_writable()) return -1;
    for (;;) {
      const ssize_t n = ::send(fd_, ptr, size, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      return n;
    }
  }
  void get_remote_ip_and_port(std::string& ip, int& port) const override { endpoint_of(fd_, true, ip, port); }
  void get_local_ip_and_port(std::string& ip, int& port) const override { endpoint_of(fd_, false, ip, port); }
  socket_t socket() const override { return fd_; }

  std::string take_unread() { return offset_ == 0 ? std::move(bytes_) : bytes_.substr(offset_); }

 private:
  int fd_;
  std::string bytes_;
  std::size_t offset_ = 0;
  Clock::time_point read_deadline_;
  std::chrono::milliseconds write_timeout_;
};

}  // namespace

HardenedServer::HardenedServer(ServerLimits limits)
    : limits_(limits), reactor_(limits.reactor, [this](int fd, std::string bytes) {
        std::size_t served = 0;
        {
          std::lock_guard<std::mutex> lock(mutex_);
          auto it = served_.find(fd);
          if (it != served_.end()) {
            served = it->second;
            served_.erase(it);
          }
        }
        enqueue({fd, std::move(bytes), served});
      }) {
  // httplib's own pool only hands accepted sockets to the reactor.
  new_task_queue = [] { return new httplib::ThreadPool(2); };
  for (std::size_t i = 0; i < limits_.workers; ++i) workers_.emplace_back([this] { work(); });
}

HardenedServer::~HardenedServer() { stop_connections(); }

bool HardenedServer::process_and_close_socket(socket_t sock) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    served_.erase(sock);  // a descriptor number the reactor closed earlier may come back
  }
  // Headers and body go out in separate sends; without this, Nagle's algorithm meets the
  // client's delayed ACK and every answer waits ~40 ms.
  const int one = 1;
  setsockopt(sock, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  reactor_.park(sock, std::string());
  return true;
}

void HardenedServer::enqueue(Job job) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!stopping_) {
      jobs_.push_back(std::move(job));
      ready_.notify_one();
      return;
    }
  }
  ::close(job.fd);
}

void HardenedServer::work() {
  for (;;) {
    Job job;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      ready_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
      if (jobs_.empty()) return;
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    serve(std::move(job));
  }
}

void HardenedServer::serve(Job job) {
  std::string bytes = std::move(job.bytes);
  // Rename Content-Encoding so httplib leaves the body compressed (see request_head.hpp).
  const HeadScan head = scan_request_head(bytes, limits_.reactor.head);
  if (head.state == HeadState::complete) hide_content_encoding(&bytes, head.head_bytes);
  BufferedSocketStream stream(job.fd, std::move(bytes), Clock::now() + limits_.reactor.request_timeout,
                              limits_.write_timeout);
  const bool last = job.served + 1 >= limits_.keep_alive_max_requests;
  bool connection_closed = false;
  const bool ok = process_request(stream, last, connection_closed, [](httplib::Request&) {});
  if (!ok || connection_closed || last || !is_running()) {
    ::shutdown(job.fd, SHUT_WR);
    ::close(job.fd);
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    served_[job.fd] = job.served + 1;
  }
  reactor_.park(job.fd, stream.take_unread());
}

void HardenedServer::stop_connections() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_ && workers_.empty()) return;
    stopping_ = true;
  }
  ready_.notify_all();
  for (auto& t : workers_)
    if (t.joinable()) t.join();
  workers_.clear();
  reactor_.stop();
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto& job : jobs_) ::close(job.fd);
  jobs_.clear();
}

}  // namespace touchpoint::collector
