// Engine::ingest over arbitrary NDJSON: JSON call objects and the tab-separated track hot line
// "t\t<ts>\t<name JSON>\t<props JSON>". First byte: config flags (fuzz_common.hpp); then calls.
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  touchpoint::fuzz::Bytes in(data, size);
  touchpoint::Engine e = touchpoint::fuzz::make_engine(in.byte());
  std::int64_t now = 1700000000000;
  // Several ingests (0xFF separates them) so state built by one is read by the next.
  for (int round = 0; round < 8 && !in.done(); ++round) {
    now += in.byte() * 1000;
    (void)e.ingest(in.chunk(), now).to_json();
  }
  touchpoint::fuzz::settle(e, now);
  return 0;
}
