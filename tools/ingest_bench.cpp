// ingest-bench: where the core's deferred time goes for the 5,000-call burst of `make bench`
// (bench/page.js), timed on the same input natively (build-native/ingest-bench) and in wasm with
// the product's compile flags (node build-wasm/ingest-bench.cjs). bench/sdk-bench.mjs runs both and
// prints the ratios; figures, never assertions. The core reads no clock: the clock is here.
//
//   ingest-bench [--events N] [--repeat R] [--json] [--only FIGURE]
//
// --only times one figure (e.g. ingest_rules), for profiling.
// Each figure is the median of R runs, in µs per event of the burst:
//   ingest          Engine::ingest of the whole burst as the shell hands it over (one call),
//                   including the first bodies it sends (2 in flight)
//   ingest_core     the same with no body built (in-flight limit 0): parse, validate, enrich, queue
//   ingest_rules    ingest_core with the rule set below loaded (rules evaluation + tags in context)
//   bodies_raw      every batch body of the burst joined, uncompressed (flush, unloading)
//   bodies_gzip     the same, gzip as shipped (so gzip alone = bodies_gzip - bodies_raw)
//   delivered       answering every batch 200, each answer sending the next body (the shell's loop)
//   snapshot        Engine::snapshot() with the burst queued (the whole-state persistence path)
// and per-event parts of the track hot path (validate properties, name, uuid, timestamp).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "touchpoint/engine.hpp"
#include "touchpoint/event_validator.hpp"
#include "touchpoint/gzip_encoder.hpp"
#include "touchpoint/iso_time.hpp"
#include "touchpoint/random.hpp"

namespace {

using touchpoint::Engine;
using touchpoint::EngineConfig;
using Clock = std::chrono::steady_clock;

constexpr std::int64_t kNow = 1764770000000;  // a fixed clock: 2025-12-03
// What bench/page.js tracks: JSON.stringify of its props() and name.
constexpr const char* kProps = R"({"sku":"A-1001","category":"health","price":129.5,"tags":["new","promo"],"page":"/p/1001"})";
constexpr const char* kName = R"("product_view")";
// A context line like js/src/platform/browser.js sends from the bench page in headless Chromium.
constexpr const char* kContext =
    R"({"type":"context","context":{"page":{"path":"/bench/page.html","url":"http://127.0.0.1:40000/bench/page.html",)"
    R"("search":"","referrer":"","title":"touchpoint bench"},"userAgent":"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 )"
    R"((KHTML, like Gecko) HeadlessChrome/156.0.0.0 Safari/537.36","locale":"en-US","timezone":"UTC",)"
    R"("screen":{"width":1280,"height":720,"density":1},"utcOffsetMinutes":0}})";
// A small rule set on the burst's own events (a trait, a score, a tag), for ingest_rules.
constexpr const char* kRules = R"({"format":"touchpoint-rules/1","version":"bench-1",
  "traits":[{"id":"health_views_7d","kind":"count","where":{"and":[{"==":[{"var":"event.event"},"product_view"]},
    {"==":[{"var":"event.properties.category"},"health"]}]},"window":"7d"}],
  "scores":[{"id":"lead","half_life":"14d","rules":[{"when":{"==":[{"var":"event.event"},"product_view"]},"points":5}],
    "grades":[{"grade":"A","min":80},{"grade":"B","min":40}]}],
  "tags":[{"id":"interest:health","when":{">=":[{"var":"traits.health_views_7d"},3]},"sticky":false}]})";

std::string burst(std::size_t n) {
  std::string s = kContext;
  s += '\n';
  for (std::size_t i = 0; i < n; ++i) {
    s += "t\t" + std::to_string(kNow + static_cast<std::int64_t>(i / 50)) + "\t" + kName + "\t" + kProps;
    if (i + 1 < n) s += '\n';
  }
  return s;
}

EngineConfig config(bool compress, std::size_t max_in_flight) {
  EngineConfig c;
  c.write_key = "bench";
  c.seed = "ingest-bench";
  c.compress = compress;
  c.queue.max_in_flight = max_in_flight;
  return c;
}

double us_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::micro>(Clock::now() - t0).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// Median over `repeat` runs of `run`, which returns the µs it timed.
double measure(int repeat, const std::function<double()>& run) {
  std::vector<double> v;
  for (int r = 0; r < repeat; ++r) v.push_back(run());
  return median(v);
}

std::vector<std::uint64_t> send_ids(const touchpoint::Output& o) {
  std::vector<std::uint64_t> ids;
  for (const auto& s : o.send) ids.push_back(s["id"].get<std::uint64_t>());
  return ids;
}

volatile std::size_t g_sink = 0;  // keeps the micro-benchmarks' results alive

}  // namespace

int main(int argc, char** argv) {
  std::size_t n = 5000;
  int repeat = 5;
  bool as_json = false;
  std::string only;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--events") && i + 1 < argc) n = static_cast<std::size_t>(std::atol(argv[++i]));
    else if (!std::strcmp(argv[i], "--repeat") && i + 1 < argc) repeat = std::max(1, std::atoi(argv[++i]));
    else if (!std::strcmp(argv[i], "--json")) as_json = true;
    else if (!std::strcmp(argv[i], "--only") && i + 1 < argc) only = argv[++i];
    else {
      std::fprintf(stderr, "usage: ingest-bench [--events N] [--repeat R] [--json] [--only FIGURE]\n");
      return 2;
    }
  }
  if (n == 0) n = 1;
  std::vector<std::pair<const char*, double>> fig;
  const std::string input = burst(n);
  auto add_figure = [&](const char* name, const std::function<double()>& timed) {
    if (only.empty() || only == name) fig.emplace_back(name, timed());
  };
  const double per = static_cast<double>(n);
  
  // Warm-up: allocator, caches, tiering (wasm).
  { Engine e(config(true, 2)); g_sink += e.ingest(input, kNow).accepted; }

  std::size_t accepted = 0;
  add_figure("ingest", [&] { return measure(repeat, [&] {
    Engine e(config(true, touchpoint::limits::kMaxBatchesInFlight));
    const auto t0 = Clock::now();
    accepted = e.ingest(input, kNow).accepted;
    return us_since(t0);
  }) / per; });
  add_figure("ingest_core", [&] { return measure(repeat, [&] {
    Engine e(config(true, 0));
    const auto t0 = Clock::now();
    g_sink += e.ingest(input, kNow).accepted;
    return us_since(t0);
  }) / per; });
  add_figure("ingest_rules", [&] { return measure(repeat, [&] {
    Engine e(config(true, 0));
    if (!e.load_rules(kRules).empty()) { std::fprintf(stderr, "ingest-bench: rule set rejected\n"); std::exit(1); }
    const auto t0 = Clock::now();
    g_sink += e.ingest(input, kNow).accepted;
    return us_since(t0);
  }) / per; });
  for (bool compress : {false, true}) {
    add_figure(compress ? "bodies_gzip" : "bodies_raw", [&] { return measure(repeat, [&] {
      Engine e(config(compress, 0));
      e.ingest(input, kNow);
      const auto t0 = Clock::now();
      g_sink += e.flush(kNow, true, std::size_t(1) << 40).send.size();
      return us_since(t0);
    }) / per; });
  }
  std::size_t batches = 0, wire = 0;
  add_figure("delivered", [&] { return measure(repeat, [&] {
    Engine e(config(true, touchpoint::limits::kMaxBatchesInFlight));
    std::vector<std::uint64_t> todo = send_ids(e.ingest(input, kNow));
    batches = todo.size();
    wire = 0;
    const auto t0 = Clock::now();
    while (!todo.empty()) {
      const std::uint64_t id = todo.back();
      todo.pop_back();
      wire += e.batch_body(id).size();
      for (std::uint64_t next : send_ids(e.delivered(id, 200, 0, R"({"accepted":20,"duplicates":0,"rejected":[]})", kNow))) {
        todo.push_back(next);
        ++batches;
      }
    }
    return us_since(t0);
  }) / per; });
  std::size_t snapshot_bytes = 0;
  add_figure("snapshot", [&] { return measure(repeat, [&] {
    Engine e(config(true, 0));
    e.ingest(input, kNow);
    const auto t0 = Clock::now();
    snapshot_bytes = e.snapshot().size();
    return us_since(t0);
  }) / per; });

  // Parts of the track hot path, each over n repetitions.
  const std::string props = kProps, name = kName;
  auto per_event = [&](const std::function<void()>& fn) {
    return measure(repeat, [&] {
      const auto t0 = Clock::now();
      for (std::size_t i = 0; i < n; ++i) fn();
      return us_since(t0);
    }) / per;
  };
  add_figure("part_validate_properties", [&] { return per_event([&] {
    bool ok = false;
    g_sink += touchpoint::validate_payload_text(props, "/properties", &ok).has_value() + ok;
  }); });
  add_figure("part_name_parse_dump", [&] { return per_event([&] {
    g_sink += nlohmann::json::parse(name, nullptr, false).dump().size();
  }); });
  touchpoint::Random rng;
  rng.reseed("bench");
  add_figure("part_uuid", [&] { return per_event([&] { g_sink += rng.uuid_v4().size(); }); });
  add_figure("part_timestamp", [&] { return per_event([&] { g_sink += touchpoint::format_iso8601_ms(kNow).size(); }); });

  if (as_json) {
    std::printf("{\"events\":%zu,\"accepted\":%zu,\"batches\":%zu,\"wireBytes\":%zu,\"snapshotBytes\":%zu,\"usPerEvent\":{",
                n, accepted, batches, wire, snapshot_bytes);
    for (std::size_t i = 0; i < fig.size(); ++i) std::printf("%s\"%s\":%.3f", i ? "," : "", fig[i].first, fig[i].second);
    std::printf("}}\n");
  } else {
    std::printf("ingest-bench: %zu events (%zu accepted), %zu batches, %zu wire bytes, snapshot %zu bytes; µs/event, median of %d\n",
                n, accepted, batches, wire, snapshot_bytes, repeat);
    for (const auto& [k, v] : fig) std::printf("  %-26s %8.3f\n", k, v);
  }
  return 0;
}
