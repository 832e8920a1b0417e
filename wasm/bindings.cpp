// The JS/wasm boundary for the SDK engine: the only Emscripten-aware code besides
// rules_bindings.cpp. Everything crosses as JSON strings (one call per drained batch of calls,
// so the boundary cost is paid once per batch, not per event); batch bodies cross as bytes.
#include <emscripten/bind.h>
#include <emscripten/val.h>

#include <memory>
#include <string>

#include "touchpoint/engine.hpp"
#include "touchpoint/json_access.hpp"

namespace {

using touchpoint::Engine;
using touchpoint::EngineConfig;
using touchpoint::ValidationError;

class WasmEngine {
 public:
  explicit WasmEngine(const std::string& options_json) {
    nlohmann::json options = nlohmann::json::parse(options_json, nullptr, false);
    ValidationError err;
    auto config = EngineConfig::from_json(options.is_discarded() ? nlohmann::json() : options, &err);
    if (!config) {
      error_ = touchpoint::json_access::dump(err.to_json());
      config = EngineConfig{};
    }
    engine_ = std::make_unique<Engine>(std::move(*config));
  }
  // "" when the options were fine, else a JSON {code, field, message}.
  std::string error() const { return error_; }
  std::string ingest(const std::string& ndjson, double now) { return engine_->ingest(ndjson, ms(now)).to_json(); }
  std::string tick(double now) { return engine_->tick(ms(now)).to_json(); }
  std::string resume(double now) { return engine_->resume(ms(now)).to_json(); }
  std::string flush(double now, bool unloading, double budget) {
    return engine_->flush(ms(now), unloading, budget > 0 && budget < 1e15 ? static_cast<std::size_t>(budget) : 0).to_json();
  }
  std::string delivered(double id, int status, double retry_after_ms, const std::string& body, double now) {
    return engine_->delivered(batch_id(id), status, ms(retry_after_ms), body, ms(now)).to_json();
  }
  // A view into wasm memory: the caller copies it (slice) before the next call.
  emscripten::val batchBody(double id) {
    const std::string& b = engine_->batch_body(batch_id(id));
    return emscripten::val(emscripten::typed_memory_view(b.size(), reinterpret_cast<const unsigned char*>(b.data())));
  }
  std::string loadRules(const std::string& rules) { return touchpoint::json_access::dump(engine_->load_rules(rules)); }
  std::string advanceRules(double now) { return engine_->advance_rules(ms(now)).to_json(); }
  std::string snapshot() const { return engine_->snapshot(); }
  std::string restore(const std::string& snap, double now) { return engine_->restore(snap, ms(now)).to_json(); }
  // Records (docs/storage.md): the small state, adoption of stored records, receipts, sender role.
  std::string state() const { return engine_->state(); }
  std::string adopt(const std::string& records, double now) { return engine_->adopt(records, ms(now)).to_json(); }
  std::string receipts(double id, int status, const std::string& body, double now) {
    return engine_->receipts(batch_id(id), status, body, ms(now)).to_json();
  }
  void setSender(bool sender) { engine_->set_sender(sender); }
  double release(const std::string& keys) { return static_cast<double>(engine_->release(keys)); }
  std::string shed(double now) { return engine_->shed(ms(now)).to_json(); }
  std::string inFlightKeys() const { return engine_->in_flight_keys(); }
  // The engine's stats plus wasmHeapBytes, the module's linear memory (it only grows: a plateau
  // over a long run shows the heap stays bounded; tests/browser/kiosk.test.mjs).
  std::string stats() const {
    nlohmann::json s = engine_->stats();
    s["wasmHeapBytes"] = static_cast<double>(__builtin_wasm_memory_size(0)) * 65536.0;
    return touchpoint::json_access::dump(s);
  }
  // Synchronous because the page needs the link now: {"url": decorated, "output": Output}.
  std::string shareUrl(const std::string& url, const std::string& channel, double now) {
    touchpoint::Output out;
    std::string decorated = engine_->share_url(url, channel, ms(now), out);
    return "{\"url\":" + nlohmann::json(decorated).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) +
           ",\"output\":" + out.to_json() + "}";
  }
  std::string visit() const { return engine_->visit_summary().dump(-1, ' ', false, nlohmann::json::error_handler_t::replace); }
  std::string rulesState(double now) const {
    const auto& t = engine_->tag_engine();
    nlohmann::json j = {{"version", t.version()}, {"tags", t.tags()}, {"traits", t.traits()},
                        {"scores", t.scores(ms(now))}, {"stages", t.stages()}};
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }

 private:
  // Numbers from JS may be NaN, negative or huge: casting those is undefined behaviour, so clamp.
  static std::int64_t ms(double v) { return v == v && v > -9.0e15 && v < 9.0e15 ? static_cast<std::int64_t>(v) : 0; }
  static std::uint64_t batch_id(double v) { return v >= 0 && v < 9.0e15 ? static_cast<std::uint64_t>(v) : 0; }
  std::unique_ptr<Engine> engine_;
  std::string error_;
};

}  // namespace

EMSCRIPTEN_BINDINGS(touchpoint_engine) {
  emscripten::class_<WasmEngine>("Engine")
      .constructor<const std::string&>()
      .function("error", &WasmEngine::error)
      .function("ingest", &WasmEngine::ingest)
      .function("resume", &WasmEngine::resume)
      .function("tick", &WasmEngine::tick)
      .function("flush", &WasmEngine::flush)
      .function("delivered", &WasmEngine::delivered)
      .function("batchBody", &WasmEngine::batchBody)
      .function("loadRules", &WasmEngine::loadRules)
      .function("advanceRules", &WasmEngine::advanceRules)
      .function("snapshot", &WasmEngine::snapshot)
      .function("restore", &WasmEngine::restore)
      .function("state", &WasmEngine::state)
      .function("adopt", &WasmEngine::adopt)
      .function("receipts", &WasmEngine::receipts)
      .function("setSender", &WasmEngine::setSender)
      .function("release", &WasmEngine::release)
      .function("shed", &WasmEngine::shed)
      .function("inFlightKeys", &WasmEngine::inFlightKeys)
      .function("stats", &WasmEngine::stats)
      .function("shareUrl", &WasmEngine::shareUrl)
      .function("visit", &WasmEngine::visit)
      .function("rulesState", &WasmEngine::rulesState);
}
