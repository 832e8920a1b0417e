#include "batch_handler.hpp"

#include <cctype>
#include <chrono>
#include <cstdio>
#include <string>

#include "batch_parser.hpp"
#include "gzip_body.hpp"
#include "json_response.hpp"
#include "request_head.hpp"

namespace touchpoint::collector {
namespace {

// A response naming every rejected event of a 1 MB batch of junk could be tens of MB; past this
// many the list is cut and "rejectedTotal" gives the full count.
constexpr std::size_t kMaxRejectedListed = 1000;

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The body's Content-Encoding as the client sent it (HardenedServer renames the header so httplib
// leaves the body compressed; see request_head.hpp).
std::string sent_encoding(const httplib::Request& req) {
  std::string encoding = req.get_header_value(kSentEncodingHeader);
  if (encoding.empty()) encoding = req.get_header_value("Content-Encoding");
  for (char& c : encoding) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return encoding;
}

void refuse_write_key(httplib::Response& res, WriteKeyCheck check) {
  res.set_header("WWW-Authenticate", "TouchpointWriteKey");
  if (check == WriteKeyCheck::missing)
    return send_error(res, 401, "write_key_missing", "batches need a writeKey (query parameter or body field)");
  send_error(res, 401, "write_key_unknown", "this writeKey is not configured on the collector");
}

}  // namespace

BatchHandler::BatchHandler(EventStore& store, RulesSource& rules, const AccessPolicy& policy,
                           const IdentityVerifier& identity, FaultInjector* faults, std::size_t max_body_bytes,
                           std::size_t max_batch_events, bool quiet)
    : store_(store),
      rules_(rules),
      policy_(policy),
      identity_(identity),
      faults_(faults),
      max_body_bytes_(max_body_bytes),
      max_batch_events_(max_batch_events),
      quiet_(quiet) {}

void BatchHandler::handle(const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& reader) {
  const std::int64_t received_at_ms = now_ms();
  const std::string limit_text = std::to_string(max_body_bytes_) + " bytes";

  // httplib rejects a Content-Length over the payload limit itself (draining the body, status 413)
  // and gunzips "Content-Encoding: gzip" bodies before they reach us, so `body` is bounded here
  // after decompression. With a Content-Length the rest of an oversized body is drained so the
  // 413 reaches the client instead of a connection reset; without one (chunked) reading stops.
  std::string body;
  bool over_limit = false;
  const bool length_known = req.has_header("Content-Length");
  auto receive = [&](const char* data, std::size_t length) {
    if (over_limit) return length_known;
    if (body.size() + length > max_body_bytes_) {
      over_limit = true;
      std::string().swap(body);
      return length_known;
    }
    body.append(data, length);
    return true;
  };
  if (req.is_multipart_form_data()) {
    // httplib insists on its multipart reader for these; drain the parts, then refuse.
    reader([](const httplib::MultipartFormData&) { return true; }, receive);
    if (over_limit || res.status == 413) res.set_header("Connection", "close");
    return send_error(res, 415, "unsupported_media_type", "a batch is a JSON or gzip body, not a form");
  }
  const bool read_ok = reader(receive);
  if (over_limit || res.status == 413) {
    res.set_header("Connection", "close");
    return send_error(res, 413, "body_too_large", "batch body is over the limit of " + limit_text);
  }
  if (!read_ok) {
    res.set_header("Connection", "close");
    if (res.status == 415)
      return send_error(res, 415, "unsupported_encoding", "Content-Encoding must be gzip, deflate or br");
    return send_error(res, 400, "body_unreadable", "the request body could not be read or decoded");
  }

  if (faults_) {
    const FaultDecision fault = faults_->next_batch_request();
    if (fault.hang_ms > 0) faults_->hang(fault.hang_ms);
    if (fault.discard_after_hang)
      return send_error(res, 503, "fault_injected", "fault mode: a hung request is discarded, not stored");
    if (fault.status != 0) {
      if (fault.retry_after_s >= 0) res.set_header("Retry-After", std::to_string(fault.retry_after_s));
      if (!fault.location.empty()) res.set_header("Location", fault.location);
      if (fault.body) {  // html200 / body200: a 2xx that is not the acknowledgement
        res.status = fault.status;
        res.set_content(*fault.body, fault.content_type.c_str());
        return;
      }
      return send_error(res, fault.status, "fault_injected",
                        "fault mode: answering " + std::to_string(fault.status));
    }
  }

  const std::string encoding = sent_encoding(req);
  if (!encoding.empty() && encoding != "gzip" && encoding != "identity" && encoding != "x-gzip")
    return send_error(res, 415, "unsupported_encoding", "Content-Encoding must be gzip (or none)");

  BatchRecord batch;
  batch.received_at_ms = received_at_ms;
  batch.wire_bytes = body.size();
  if (req.has_param("writeKey")) batch.write_key = req.get_param_value("writeKey");
  // A wrong key in the URL is refused before any parsing work.
  if (batch.write_key && policy_.check_write_key(batch.write_key, std::nullopt) == WriteKeyCheck::unknown)
    return refuse_write_key(res, WriteKeyCheck::unknown);

  std::string json_text;
  // Every gzip body, by header or by magic bytes, is inflated here and stops at the limit.
  if (looks_gzipped(body) || encoding == "gzip" || encoding == "x-gzip") {
    batch.gzip = true;
    const GunzipStatus status = gunzip_bounded(body, max_body_bytes_, &json_text);
    if (status == GunzipStatus::too_large)
      return send_error(res, 413, "body_too_large", "gunzipped batch body is over the limit of " + limit_text);
    if (status != GunzipStatus::ok)
      return send_error(res, 400, "invalid_gzip", std::string("gzip body is ") + to_string(status));
  } else {
    json_text = std::move(body);
  }
  std::string().swap(body);
  batch.json_bytes = json_text.size();

  ParsedBatch parsed;
  BatchLimits limits;
  limits.max_events = max_batch_events_;
  if (auto error = parse_batch(std::move(json_text), limits, &parsed)) {
    if (error->code == "too_many_events") return send_error(res, 413, error->code, error->message);
    return send_error(res, 400, error->code, error->message);
  }
  if (const WriteKeyCheck key = policy_.check_write_key(batch.write_key, parsed.write_key);
      key == WriteKeyCheck::missing || key == WriteKeyCheck::unknown)
    return refuse_write_key(res, key);
  batch.sent_at = parsed.sent_at;
  if (!batch.write_key) batch.write_key = parsed.write_key;
  batch.event_count = parsed.event_count;
  batch.rejected = parsed.rejected.size();
  batch.dropped = parsed.dropped;

  StoreResult stored;
  try {
    if (identity_.enabled()) {
      for (EventRecord& e : parsed.events)
        if (e.type == "identify" && e.user_id) e.identity = identity_.check(*e.user_id, e.user_hash);
    }
    ProfileContext profiles;
    profiles.rules = rules_.current_compiled();
    profiles.verify_identity = identity_.enabled();
    stored = store_.store_batch(batch, parsed.events, profiles);
  } catch (const StoreError& e) {
    std::fprintf(stderr, "touchpoint-collector: storing a batch failed: %s\n", e.what());
    // A locked or busy database clears up by itself: tell the SDK when to come back.
    if (e.busy) {
      res.set_header("Retry-After", "1");
      return send_error(res, 503, "storage_busy", "the event database is busy; retry later");
    }
    return send_error(res, 500, "storage_error", "the event database failed to store the batch");
  }

  nlohmann::json rejected = nlohmann::json::array();
  for (std::size_t i = 0; i < parsed.rejected.size() && i < kMaxRejectedListed; ++i) {
    const RejectedEvent& r = parsed.rejected[i];
    rejected.push_back({{"index", r.index}, {"code", r.code}, {"field", r.field}, {"message", r.message}});
  }
  nlohmann::json answer = {
      {"accepted", stored.accepted}, {"duplicates", stored.duplicates}, {"rejected", std::move(rejected)}};
  if (parsed.rejected.size() > kMaxRejectedListed) answer["rejectedTotal"] = parsed.rejected.size();
  send_json(res, 200, answer);

  if (!quiet_) {
    std::fprintf(stderr, "batch %lld: %zu events, %zu accepted, %zu duplicates, %zu rejected, %lld dropped; %zu B%s\n",
                 static_cast<long long>(stored.batch_id), parsed.event_count, stored.accepted, stored.duplicates,
                 parsed.rejected.size(), static_cast<long long>(batch.dropped.total), batch.wire_bytes,
                 batch.gzip ? " gzip" : "");
  }
}

}  // namespace touchpoint::collector
