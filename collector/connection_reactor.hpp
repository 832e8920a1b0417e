// The collector's front door: one epoll thread that holds every connection while it is idle or
// still sending its request, and hands a connection to a worker only once a whole request (head,
// and a Content-Length body up to the body limit) has arrived. Idle keep-alive connections and
// slow clients (a header byte a second) therefore cost a file descriptor and a buffer, never a
// worker thread: real clients are not starved (nginx's design, in miniature).
//
// Per connection: idle (no byte of a next request) for kIdleTimeout -> closed; a request not
// complete kRequestTimeout after its first byte -> 408 and closed; a head over HeadLimits -> 431
// and closed; more than max_connections open -> the newest is refused with 503.
#pragma once
#include <chrono>
#include <cstddef>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>

#include "request_head.hpp"

namespace touchpoint::collector {

struct ReactorLimits {
  HeadLimits head;
  std::size_t max_body_bytes = 1024 * 1024;  // bodies up to this are read before dispatch
  // nginx closes idle keep-alive connections after 75 s and Apache after 5 s; 15 s keeps a
  // page's connections warm between the SDK's batches while bounding descriptors.
  std::chrono::milliseconds idle_timeout{15000};
  // nginx's client_header_timeout/client_body_timeout are 60 s each; a batch is small, 10 s is
  // plenty for a phone on a bad network and bounds what a slow client holds.
  std::chrono::milliseconds request_timeout{10000};
  // Descriptors are the only cost of a parked connection; the reactor raises RLIMIT_NOFILE.
  std::size_t max_connections = 10000;
  // nginx's lingering_timeout is 5 s; 2 s is enough on the networks batches come over.
  std::chrono::milliseconds linger_timeout{2000};
};

class ConnectionReactor {
 public:
  // `dispatch(fd, bytes)` runs on the reactor thread and must only enqueue: `bytes` are what was
  // read from fd so far (a complete request at least); the callee owns fd from then on.
  using Dispatch = std::function<void(int fd, std::string bytes)>;

  ConnectionReactor(ReactorLimits limits, Dispatch dispatch);
  ~ConnectionReactor();
  ConnectionReactor(const ConnectionReactor&) = delete;
  ConnectionReactor& operator=(const ConnectionReactor&) = delete;

  // Takes ownership of fd (a new connection, or one a worker finished a request on) with the
  // bytes already read from it; dispatches at once if they hold a complete request.
  void park(int fd, std::string bytes);

  void stop();  // closes every parked connection; later park() calls just close

  std::size_t parked() const;

 private:
  struct Connection {
    std::string bytes;
    std::chrono::steady_clock::time_point idle_since;
    std::chrono::steady_clock::time_point first_byte_at;
    bool receiving = false;  // some bytes of a request have arrived
    bool lingering = false;  // answered and half-closed: discarding input until EOF or deadline
  };
  enum class Verdict { wait, dispatch, too_large, bad_request };

  void run();
  Verdict judge(std::string* bytes) const;
  // Sends a final error answer, half-closes, and keeps reading (discarding) for a short while:
  // closing with unread input makes the kernel send a reset, which can destroy the answer
  // before the client reads it (nginx's lingering_close, for the same reason).
  void answer_and_linger(int fd, int status, const char* code, const char* message);
  void close_locked(int fd);  // mutex_ held
  void watch_locked(int fd, Connection c);  // mutex_ held: track fd and add it to epoll (closed on failure)
  void sweep(std::chrono::steady_clock::time_point now);

  ReactorLimits limits_;
  Dispatch dispatch_;
  int epoll_fd_ = -1;
  int wake_fd_ = -1;
  mutable std::mutex mutex_;
  std::unordered_map<int, Connection> connections_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace touchpoint::collector
