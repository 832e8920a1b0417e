// touchpoint-collector: the reference private-domain backend for the Touchpoint SDK.
// Receives batches (POST /v1/batch), stores them in SQLite, serves rules and recomputed user
// profiles, static demo files, and — in --fault-mode only — test hooks. See docs/collector.md.
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "access_policy.hpp"
#include "batch_handler.hpp"
#include "collector_options.hpp"
#include "cors.hpp"
#include "receipts.hpp"
#include "dashboard_api.hpp"
#include "event_queries.hpp"
#include "event_store.hpp"
#include "fault_mode.hpp"
#include "hardened_server.hpp"
#include "identity_verifier.hpp"
#include "http.hpp"
#include "json_response.hpp"
#include "read_guard.hpp"
#include "rules_publisher.hpp"
#include "rules_source.hpp"
#include "static_files.hpp"
#include "user_profiles.hpp"

namespace tc = touchpoint::collector;

namespace {

// How long SIGINT/SIGTERM waits for in-flight requests before dropping idle connections.
constexpr int kShutdownGraceMs = 1000;

const char* error_code_for(int status) {
  switch (status) {
    case 400: return "bad_request";
    case 404: return "not_found";
    case 405: return "method_not_allowed";
    case 413: return "body_too_large";
    case 414: return "uri_too_long";
    case 415: return "unsupported_media_type";
    case 431: return "headers_too_large";
    case 416: return "range_not_satisfiable";
    case 500: return "internal_error";
    default: return "http_error";
  }
}

void configure_server(httplib::Server& server, const tc::CollectorOptions& options, const tc::AccessPolicy& policy) {
  // Connection timeouts and keep-alive live in HardenedServer (see hardened_server.hpp).
  server.set_payload_max_length(options.max_body_bytes);

  // Every error httplib produces itself (bad request line, 413, unknown route...) gets a JSON body
  // like our own errors; handlers that already wrote one keep it.
  server.set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (res.body.empty() && !res.content_provider_) {
      tc::send_error(res, res.status, error_code_for(res.status),
                     "HTTP " + std::to_string(res.status));
    }
  });
  server.set_exception_handler([](const httplib::Request& req, httplib::Response& res, std::exception_ptr error) {
    std::string what = "unknown exception";
    try {
      std::rethrow_exception(error);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
    std::fprintf(stderr, "touchpoint-collector: %s %s failed: %s\n", req.method.c_str(), req.path.c_str(), what.c_str());
    tc::send_error(res, 500, "internal_error", "the collector failed to handle this request");
  });
  server.set_pre_routing_handler([&policy](const httplib::Request& req, httplib::Response& res) {
    return tc::refuse_unauthorized_read(req, res, policy) ? httplib::Server::HandlerResponse::Handled
                                                          : httplib::Server::HandlerResponse::Unhandled;
  });
  server.set_post_routing_handler(
      [&policy](const httplib::Request& req, httplib::Response& res) { tc::add_cors_headers(req, res, policy); });
}

bool is_directory(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

}  // namespace

int main(int argc, char** argv) {
  std::string message;
  int exit_code = 0;
  const auto parsed = tc::parse_collector_options(argc, argv, &message, &exit_code);
  if (!parsed) {
    std::fputs(message.c_str(), exit_code == 0 ? stdout : stderr);
    return exit_code;
  }
  tc::CollectorOptions options = *parsed;
  if (auto error = tc::apply_secret_environment(&options, std::getenv("TP_ADMIN_TOKEN"), std::getenv("TP_IDENTITY_SECRET"))) {
    std::fprintf(stderr, "touchpoint-collector: %s\n", error->c_str());
    return 2;
  }
  const tc::AccessPolicy policy(options.write_keys, options.admin_token, options.allowed_origins);
  if (policy.ingestion_open())
    std::fprintf(stderr, "touchpoint-collector: warning: no --write-key: any batch is accepted (development only)\n");
  if (policy.reads_open())
    std::fprintf(stderr, "touchpoint-collector: warning: no --admin-token: stored events and profiles are readable "
                         "by anyone who can reach this port (development only)\n");
  for (const std::string& dir : options.static_dirs) {
    if (!is_directory(dir)) {
      std::fprintf(stderr, "touchpoint-collector: --static %s is not a directory\n", dir.c_str());
      return 2;
    }
  }

  // Signals are taken by one thread with sigwait (below); block them before any thread starts so
  // every thread inherits the mask. A client hanging up mid-response must not kill the process.
  // A shell starts background jobs with SIGINT ignored, and an ignored signal never reaches
  // sigwait: restore the default disposition first (blocked, so it cannot kill us).
  signal(SIGINT, SIG_DFL);
  signal(SIGTERM, SIG_DFL);
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  std::unique_ptr<tc::EventStore> store;
  try {
    store = tc::open_event_store(options.db_path);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "touchpoint-collector: cannot open database: %s\n", e.what());
    return 1;
  }
  tc::RulesSource rules(options.rules_path);
  if (rules.configured() && !rules.current())
    std::fprintf(stderr, "touchpoint-collector: warning: rules file %s is missing or invalid; /v1/rules answers 503\n",
                 options.rules_path.c_str());
  tc::FaultInjector faults;
  tc::StaticFiles static_files(options.static_dirs);
  const tc::IdentityVerifier identity(options.identity_secret);
  if (store->needs_profile_replay() || options.replay_profiles) {
    tc::ProfileContext context;
    context.rules = rules.current_compiled();
    context.verify_identity = identity.enabled();
    const auto t0 = std::chrono::steady_clock::now();
    const std::size_t written = store->replay_profiles(context);
    std::fprintf(stderr, "touchpoint-collector: recomputed %zu profiles from the stored events in %lld ms\n", written,
                 static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                            std::chrono::steady_clock::now() - t0)
                                            .count()));
    if (options.replay_profiles) return 0;
  }
  tc::BatchHandler batches(*store, rules, policy, identity, options.fault_mode ? &faults : nullptr,
                           options.max_body_bytes, options.max_batch_events, options.quiet);

  tc::ServerLimits limits;
  limits.reactor.max_body_bytes = options.max_body_bytes;
  tc::HardenedServer server(limits);
  configure_server(server, options, policy);
  server.Post("/v1/batch", [&batches](const httplib::Request& req, httplib::Response& res,
                                      const httplib::ContentReader& reader) { batches.handle(req, res, reader); });
  tc::register_rules_routes(server, rules);
  tc::register_user_routes(server, *store, rules);
  tc::register_event_query_routes(server, *store, options.fault_mode);
  tc::register_receipt_routes(server, *store, policy);  // the SDK's check after an unload (receipts.hpp)
  if (options.fault_mode) tc::register_fault_routes(server, faults);
  tc::RulesPublisher publisher(options.rules_path);
  const tc::StaticFiles dashboard_files({options.dashboard_root});
  tc::register_dashboard_routes(server, *store, rules, publisher, identity, dashboard_files);
  tc::register_cors(server, policy);
  tc::register_static_routes(server, static_files);  // last: it catches every other GET

  const int port = options.port == 0 ? server.bind_to_any_port(options.host)
                                     : (server.bind_to_port(options.host, options.port) ? options.port : -1);
  if (port <= 0) {
    std::fprintf(stderr, "touchpoint-collector: cannot listen on %s:%d\n", options.host.c_str(), options.port);
    return 1;
  }

  std::atomic<bool> stop_requested{false};
  std::mutex finished_mutex;
  std::condition_variable finished_cv;
  bool finished = false;
  std::thread signal_waiter([&] {
    int signal_number = 0;
    sigwait(&stop_signals, &signal_number);
    stop_requested = true;
    faults.shutdown();  // release fault-mode hangs so workers can finish
    server.stop();
    // httplib joins its workers before listen returns, and a worker holds an idle keep-alive
    // connection (browsers keep several) until it times out. Past a short grace period, exit
    // once no batch transaction is open: everything answered 200 is committed, and anything cut
    // off is retried by the SDK and deduplicated by messageId.
    std::unique_lock<std::mutex> lock(finished_mutex);
    if (!finished_cv.wait_for(lock, std::chrono::milliseconds(kShutdownGraceMs), [&] { return finished; })) {
      store->with_writes_paused([] {
        std::fprintf(stderr, "touchpoint-collector: stopped (idle connections dropped)\n");
        std::fflush(nullptr);
        std::_Exit(0);
      });
    }
  });

  // Tests and scripts wait for this exact line; the port is the real one when --port 0.
  std::printf("touchpoint-collector listening on http://%s:%d\n", options.host.c_str(), port);
  std::fflush(stdout);
  if (options.fault_mode) std::fprintf(stderr, "touchpoint-collector: fault mode is ON (test only)\n");

  const bool listened = server.listen_after_bind();
  server.stop_connections();
  const bool stopped_by_signal = stop_requested.load();
  {
    std::lock_guard<std::mutex> lock(finished_mutex);
    finished = true;
  }
  finished_cv.notify_all();
  if (!stopped_by_signal) kill(getpid(), SIGTERM);  // wake the signal thread so it can be joined
  signal_waiter.join();
  if (!listened && !stopped_by_signal) {
    std::fprintf(stderr, "touchpoint-collector: server stopped unexpectedly\n");
    return 1;
  }
  std::fprintf(stderr, "touchpoint-collector: stopped\n");
  return 0;
}
