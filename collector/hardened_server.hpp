// cpp-httplib's Server, with its connection handling replaced: httplib 0.11 serves each
// connection on one pool thread for the whole keep-alive life and reads heads without a total
// deadline, so 16 idle or slow connections stop a 16-thread server. Here a ConnectionReactor
// holds connections until a whole request has arrived, a fixed pool of workers runs httplib's own
// request processing (routing, handlers, responses) on it, and the connection goes back to the
// reactor after each answer. Reads by a worker stop at the request deadline; writes time out.
#pragma once
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "connection_reactor.hpp"
#include "http.hpp"

namespace touchpoint::collector {

struct ServerLimits {
  ReactorLimits reactor;
  // Workers only ever run complete requests, so they are busy while storing, not while waiting
  // for clients; SQLite has one writer anyway. Twice the cores of a large box, at least 8.
  std::size_t workers = 16;
  std::size_t keep_alive_max_requests = 1000;  // nginx's keepalive_requests default
  std::chrono::milliseconds write_timeout{10000};
};

class HardenedServer : public httplib::Server {
 public:
  explicit HardenedServer(ServerLimits limits);
  ~HardenedServer() override;

  // Stops the reactor and joins the workers (after listen has returned).
  void stop_connections();

  std::size_t parked_connections() const { return reactor_.parked(); }

 private:
  struct Job {
    int fd;
    std::string bytes;
    std::size_t served;  // requests already answered on this connection
  };

  bool process_and_close_socket(socket_t sock) override;
  void enqueue(Job job);
  void work();
  void serve(Job job);

  ServerLimits limits_;
  ConnectionReactor reactor_;
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<Job> jobs_;
  std::unordered_map<int, std::size_t> served_;  // requests answered per parked fd
  bool stopping_ = false;
  std::vector<std::thread> workers_;
};

}  // namespace touchpoint::collector
