// gzip / deflate encoder: LZ77 over hash chains (zlib's levels), lazy matching, and per block the
// cheapest of dynamic Huffman, fixed Huffman and stored. Only small constexpr tables are shipped;
// the CRC tables are built on first use, the match finder's tables per call.
#include "touchpoint/gzip_encoder.hpp"

#include <cstring>
#include <memory>

// Per-block and once-per-call code is compiled for size (clang's minsize: no unrolling, less
// inlining), which keeps the encoder at a few KB of wasm; the per-byte match finder stays at -O2.
#if defined(__clang__)
#define TP_SMALL __attribute__((minsize, noinline))
#else
#define TP_SMALL __attribute__((noinline))
#endif
#define TP_NOINLINE __attribute__((noinline))

namespace touchpoint {
namespace {

// RFC 1951 §3.2.5: matches are 3..258 bytes long, at most 32 KB back.
constexpr std::uint32_t kMinMatch = 3;
constexpr std::uint32_t kMaxMatch = 258;
constexpr std::uint32_t kMaxWindow = 32768;
// A 3-byte match farther back than this usually costs more bits than three literals (zlib's TOO_FAR).
constexpr std::uint32_t kTooFar = 4096;
// Hash heads: 2^15 like zlib at memLevel 8, fewer for short input (a 15 KB batch uses 2^14).
constexpr unsigned kMaxHashBits = 15;
// Symbols per block, as zlib's lit_bufsize at memLevel 8: long enough to amortise a dynamic
// header (~60-100 bytes), short enough to follow changing statistics; 64 KB of buffer.
constexpr std::size_t kBlockSymbols = 16383;
// Positions are 32-bit: longer input is cut into independent segments (no match crosses one).
constexpr std::size_t kSegmentBytes = std::size_t(1) << 30;
// Stored blocks hold at most 65535 bytes each.
constexpr std::size_t kMaxStored = 65535;

// zlib's configuration_table: stop chain walks early once a match of `good` is in hand, skip the
// lazy look-ahead past `lazy` (0 = greedy), stop at a match of `nice`, visit at most `chain`
// candidates per position (this bounds the worst case: <= chain * 258 byte compares per byte),
// and index the positions inside a match only up to length `insert` (zlib's max_insert_length).
struct Effort {
  std::uint16_t good, lazy, nice, chain, insert;
};
constexpr Effort kEffort[10] = {
    {0, 0, 0, 0, 0},             // 0: stored only
    {4, 0, 8, 4, 4},             // 1: greedy, fastest
    {4, 0, 16, 8, 5},            // 2
    {4, 0, 32, 32, 6},           // 3
    {4, 4, 16, 16, 258},         // 4: lazy from here on
    {8, 16, 32, 32, 258},        // 5
    {8, 16, 128, 128, 258},      // 6: default
    {8, 32, 128, 256, 258},      // 7
    {32, 128, 258, 1024, 258},   // 8
    {32, 258, 258, 4096, 258},   // 9
};

// Order in which code-length code lengths are sent (RFC 1951 §3.2.7).
constexpr std::uint8_t kClOrder[19] = {16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15};

// Length 3..258 -> code 0..28 (symbol 257 + code), and its extra bits and base.
inline unsigned len_code(unsigned len) {
  unsigned l = len - 3;
  if (l < 8) return l;
  if (l == 255) return 28;
  unsigned nb = 29 - static_cast<unsigned>(__builtin_clz(l));  // floor(log2 l) - 2
  return 4 * nb + 4 + ((l >> nb) & 3);
}
inline unsigned len_extra(unsigned c) { return (c < 8 || c == 28) ? 0 : (c - 4) / 4; }
inline unsigned len_base(unsigned c) {
  return c < 8 ? c + 3 : c == 28 ? 258 : ((4 + (c & 3)) << ((c - 4) / 4)) + 3;
}
// Distance 1..32768 -> code 0..29.
inline unsigned dist_code(unsigned d) {
  unsigned x = d - 1;
  if (x < 4) return x;
  unsigned nb = 30 - static_cast<unsigned>(__builtin_clz(x));  // floor(log2 x) - 1
  return 2 * nb + 2 + ((x >> nb) & 1);
}
inline unsigned dist_extra(unsigned c) { return c < 4 ? 0 : (c - 2) / 2; }
inline unsigned dist_base(unsigned c) { return c < 4 ? c + 1 : ((2 + (c & 1)) << ((c - 2) / 2)) + 1; }
inline unsigned fixed_lit_len(unsigned s) { return s < 144 ? 8 : s < 256 ? 9 : s < 280 ? 7 : 8; }

// Canonical codes (RFC 1951 §3.2.2), bit-reversed because deflate sends codes MSB first into an
// LSB-first stream.
TP_SMALL void make_codes(const std::uint8_t* lens, unsigned n, std::uint16_t* codes) {
  unsigned count[16] = {}, next[16] = {};
  for (unsigned i = 0; i < n; i++) count[lens[i]]++;
  count[0] = 0;
  for (unsigned b = 1, code = 0; b < 16; b++) next[b] = code = (code + count[b - 1]) << 1;
  for (unsigned i = 0; i < n; i++) {
    unsigned len = lens[i], c = next[len]++, r = 0;
    for (unsigned k = 0; k < len; k++, c >>= 1) r = (r << 1) | (c & 1);
    codes[i] = static_cast<std::uint16_t>(r);
  }
}

class BitWriter {
 public:
  explicit BitWriter(std::string& out) : out_(out) {}
  void put(std::uint32_t bits, unsigned n) {  // n <= 32
    buf_ |= std::uint64_t(bits) << count_;
    count_ += n;
    if (count_ >= 32) spill(4);
  }
  // Pads with zero bits to a byte boundary and writes everything pending.
  void align() { spill((count_ + 7) / 8); }
  unsigned bit_offset() const { return count_ & 7; }
  std::string& out() { return out_; }

 private:
  TP_SMALL void spill(unsigned bytes) {
    char b[8] = {};
    for (unsigned i = 0; i < bytes; i++) b[i] = char(buf_ >> (8 * i));
    out_.append(b, bytes);
    buf_ = bytes < 8 ? buf_ >> (8 * bytes) : 0;
    count_ = count_ > 8 * bytes ? count_ - 8 * bytes : 0;
  }

  std::string& out_;
  std::uint64_t buf_ = 0;
  unsigned count_ = 0;
};

class Deflater {
 public:
  Deflater(BitWriter& bw, const Effort& effort) : bw_(bw), eff_(effort) {}

  // Compresses data[0, n) with a fresh window; `last` marks the final block of the stream.
  void segment(const std::uint8_t* data, std::size_t n, bool last) {
    d_ = data;
    n_ = static_cast<std::uint32_t>(n);
    block_start_ = raw_end_ = 0;
    if (eff_.chain == 0) {
      emit_stored(0, n_, last);
      return;
    }
    // Tables sized to the input: a 15 KB batch needs 64 + 32 + 60 KB, a long input 128 + 64 + 64.
    unsigned bits = 8;
    while (bits < kMaxHashBits && (std::size_t(1) << bits) < n) bits++;
    hash_shift_ = 32 - bits;
    head_.reset(new std::uint32_t[std::size_t(1) << bits]());
    wsize_ = 1;
    while (wsize_ < kMaxWindow && wsize_ < n) wsize_ <<= 1;
    prev_.reset(new std::uint16_t[wsize_]);  // a slot is always written before it is read
    syms_.reset(new std::uint32_t[n < kBlockSymbols ? n + 1 : kBlockSymbols]);
    nsyms_ = 0;
    parse();
    flush_block(last);
  }

 private:
  // Inserts position `pos` (pos + 3 <= n) into its hash chain; returns the previous head + 1, or 0.
  std::uint32_t insert(std::uint32_t pos) {
    const std::uint8_t* p = d_ + pos;
    std::uint32_t h = ((p[0] | (p[1] << 8) | (std::uint32_t(p[2]) << 16)) * 2654435761u) >> hash_shift_;
    std::uint32_t old = head_[h];
    head_[h] = pos + 1;
    std::uint32_t delta = old ? pos + 1 - old : 0;
    // A chain link is only followed while it stays inside the window, so a longer one ends the chain.
    prev_[pos & (wsize_ - 1)] = static_cast<std::uint16_t>(delta < wsize_ ? delta : 0);
    return old;
  }

  static std::uint32_t match_len(const std::uint8_t* p, const std::uint8_t* q, std::uint32_t max) {
    std::uint32_t len = 0;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    for (; len + 8 <= max; len += 8) {
      std::uint64_t a, b;
      std::memcpy(&a, p + len, 8);
      std::memcpy(&b, q + len, 8);
      if (a != b) return len + static_cast<std::uint32_t>(__builtin_ctzll(a ^ b) >> 3);
    }
#endif
    while (len < max && p[len] == q[len]) len++;
    return len;
  }

  // Longest match at `pos` longer than `best`, walking at most `chain` candidates from `cand`.
  // Candidates stay < wsize back, so their chain slot has not been reused yet.
  std::uint32_t longest_match(std::uint32_t pos, std::uint32_t cand, std::uint32_t best,
                              std::uint32_t chain, std::uint32_t* dist) {
    const std::uint8_t* p = d_ + pos;
    std::uint32_t max = n_ - pos < kMaxMatch ? n_ - pos : kMaxMatch;
    if (best >= max) return best;
    std::uint32_t nice = eff_.nice < max ? eff_.nice : max;
    do {
      std::uint32_t back = pos - cand;
      if (back >= wsize_) break;
      const std::uint8_t* q = d_ + cand;
      if (q[best] == p[best] && q[0] == p[0] && q[1] == p[1]) {
        std::uint32_t len = match_len(p, q, max);
        if (len > best) {
          best = len;
          *dist = back;
          if (len >= nice) break;
        }
      }
      std::uint32_t delta = prev_[cand & (wsize_ - 1)];
      if (delta == 0) break;
      cand -= delta;
    } while (--chain);
    return best;
  }

  // zlib's deflate_slow: a match found at pos is held back one byte in case pos + 1 has a longer
  // one. With lazy == 0 the held match is always taken, which is greedy matching.
  void parse() {
    std::uint32_t pos = 0, plen = 0, pdist = 0;
    bool pending = false;
    while (pos < n_) {
      std::uint32_t len = 0, dist = 0;
      if (pos + kMinMatch <= n_) {
        std::uint32_t old = insert(pos);
        bool held = pending && plen >= kMinMatch;
        if (old && !(held && plen >= eff_.lazy)) {
          std::uint32_t start = held ? plen : kMinMatch - 1;
          std::uint32_t chain = held && plen >= eff_.good ? (eff_.chain >> 2) | 1 : eff_.chain;
          std::uint32_t found = longest_match(pos, old - 1, start, chain, &dist);
          if (found > start && !(found == kMinMatch && dist > kTooFar)) len = found;
        }
      }
      if (pending && plen >= kMinMatch && len <= plen) {
        add(plen, pdist);
        std::uint32_t end = pos - 1 + plen;
        std::uint32_t stop = n_ - kMinMatch + 1 < end ? n_ - kMinMatch + 1 : end;
        if (plen <= eff_.insert)
          for (std::uint32_t q = pos + 1; q < stop; q++) insert(q);
        pos = end;
        pending = false;
        continue;
      }
      if (pending) add(d_[pos - 1], 0);
      pending = true;
      plen = len;
      pdist = dist;
      pos++;
    }
    if (pending) add(d_[n_ - 1], 0);
  }

  // A literal (dist 0) or a match; a full block buffer is flushed.
  void add(std::uint32_t lit_or_len, std::uint32_t dist) {
    syms_[nsyms_++] = lit_or_len << 16 | dist;
    raw_end_ += dist ? lit_or_len : 1;
    if (nsyms_ >= kBlockSymbols) flush_block(false);
  }

  TP_SMALL void emit_stored(std::uint32_t start, std::uint32_t len, bool final) {
    do {
      std::uint32_t chunk = len < kMaxStored ? len : kMaxStored;
      len -= chunk;
      bw_.put(final && len == 0 ? 1 : 0, 3);
      bw_.align();
      char h[4] = {char(chunk), char(chunk >> 8), char(~chunk), char(~chunk >> 8)};
      bw_.out().append(h, 4);
      bw_.out().append(reinterpret_cast<const char*>(d_ + start), chunk);
      start += chunk;
    } while (len);
  }

  TP_SMALL void flush_block(bool final);
  TP_NOINLINE void write_symbols(const std::uint16_t* lc, const std::uint8_t* ll, const std::uint16_t* dc,
                                 const std::uint8_t* dl);

  BitWriter& bw_;
  const Effort& eff_;
  const std::uint8_t* d_ = nullptr;
  std::uint32_t n_ = 0, block_start_ = 0, raw_end_ = 0, wsize_ = 1, nsyms_ = 0;
  unsigned hash_shift_ = 0;
  std::unique_ptr<std::uint32_t[]> head_;  // per hash: last position + 1, 0 = none
  std::unique_ptr<std::uint16_t[]> prev_;  // per position mod wsize: distance to the previous one
  std::unique_ptr<std::uint32_t[]> syms_;  // the block: literal << 16, or length << 16 | distance
};

void Deflater::flush_block(bool final) {
  std::uint32_t lf[286] = {}, df[30] = {};
  std::uint64_t extra = 0;  // length and distance extra bits, the same in every block type
  for (std::uint32_t i = 0; i < nsyms_; i++) {
    std::uint32_t s = syms_[i], dist = s & 0xFFFF;
    if (!dist) {
      lf[s >> 16]++;
      continue;
    }
    unsigned lc = len_code(s >> 16), dc = dist_code(dist);
    lf[257 + lc]++;
    df[dc]++;
    extra += len_extra(lc) + dist_extra(dc);
  }
  lf[256] = 1;

  // Dynamic Huffman: code lengths, run-length coded with symbols 16/17/18 (RFC 1951 §3.2.7).
  std::uint8_t lens[286 + 30], dl[30], cl[19];
  detail::huffman_code_lengths(lf, 286, 15, lens);
  detail::huffman_code_lengths(df, 30, 15, dl);
  unsigned hlit = 286, hdist = 30, hclen = 19;
  while (hlit > 257 && !lens[hlit - 1]) hlit--;
  while (hdist > 1 && !dl[hdist - 1]) hdist--;
  std::memcpy(lens + hlit, dl, hdist);
  std::uint8_t rle[286 + 30], rle_extra[286 + 30];
  unsigned nrle = 0, total = hlit + hdist;
  std::uint32_t cf[19] = {};
  for (unsigned i = 0; i < total;) {
    unsigned v = lens[i], run = 1;
    while (i + run < total && lens[i + run] == v) run++;
    i += run;
    auto emit = [&](unsigned sym, unsigned x) {
      rle[nrle] = static_cast<std::uint8_t>(sym);
      rle_extra[nrle++] = static_cast<std::uint8_t>(x);
      cf[sym]++;
    };
    if (v == 0) {
      for (; run >= 11; run -= run < 138 ? run : 138) emit(18, (run < 138 ? run : 138) - 11);
      if (run >= 3) emit(17, run - 3), run = 0;
    } else {
      emit(v, 0), run--;
      for (; run >= 3; run -= run < 6 ? run : 6) emit(16, (run < 6 ? run : 6) - 3);
    }
    for (; run > 0; run--) emit(v, 0);
  }
  detail::huffman_code_lengths(cf, 19, 7, cl);
  while (hclen > 4 && !cl[kClOrder[hclen - 1]]) hclen--;

  std::uint64_t dyn = 3 + 14 + 3 * hclen + extra, fixed = 3 + extra;
  for (unsigned i = 0; i < nrle; i++) dyn += cl[rle[i]] + (rle[i] == 16 ? 2 : rle[i] == 17 ? 3 : rle[i] == 18 ? 7 : 0);
  for (unsigned i = 0; i < 286; i++) dyn += std::uint64_t(lf[i]) * lens[i], fixed += std::uint64_t(lf[i]) * fixed_lit_len(i);
  for (unsigned i = 0; i < 30; i++) dyn += std::uint64_t(df[i]) * dl[i], fixed += std::uint64_t(df[i]) * 5;
  std::uint32_t raw = raw_end_ - block_start_;
  std::uint64_t chunks = raw ? (raw + kMaxStored - 1) / kMaxStored : 1;
  std::uint64_t stored = 8ull * raw + chunks * 35 + (chunks - 1) * 5 + ((13 - bw_.bit_offset()) & 7);

  if (stored < dyn && stored < fixed) {
    emit_stored(block_start_, raw, final);
  } else {
    bool use_fixed = fixed <= dyn;
    bw_.put((final ? 1 : 0) | (use_fixed ? 2 : 4), 3);
    if (use_fixed) {
      // All 288 fixed lengths: the 9-bit codes come after 286 and 287 in canonical order.
      for (unsigned i = 0; i < 288; i++) lens[i] = static_cast<std::uint8_t>(fixed_lit_len(i));
      std::memset(dl, 5, 30);
    } else {
      std::uint16_t clc[19];
      make_codes(cl, 19, clc);
      bw_.put(hlit - 257, 5);
      bw_.put(hdist - 1, 5);
      bw_.put(hclen - 4, 4);
      for (unsigned i = 0; i < hclen; i++) bw_.put(cl[kClOrder[i]], 3);
      for (unsigned i = 0; i < nrle; i++) {
        unsigned s = rle[i];
        bw_.put(clc[s], cl[s]);
        if (s >= 16) bw_.put(rle_extra[i], s == 16 ? 2 : s == 17 ? 3 : 7);
      }
    }
    std::uint16_t lc[288], dc[30];
    make_codes(lens, use_fixed ? 288 : hlit, lc);  // lens[hlit..] now holds distance lengths
    make_codes(dl, 30, dc);
    write_symbols(lc, lens, dc, dl);
  }
  nsyms_ = 0;
  block_start_ = raw_end_;
}

// The per-symbol loop, kept at -O2.
void Deflater::write_symbols(const std::uint16_t* lc, const std::uint8_t* ll, const std::uint16_t* dc,
                             const std::uint8_t* dl) {
  for (std::uint32_t i = 0; i < nsyms_; i++) {
    std::uint32_t v = syms_[i] >> 16, dist = syms_[i] & 0xFFFF;
    if (!dist) {
      bw_.put(lc[v], ll[v]);
      continue;
    }
    unsigned c = len_code(v), x = dist_code(dist);
    bw_.put(lc[257 + c] | ((v - len_base(c)) << ll[257 + c]), ll[257 + c] + len_extra(c));
    bw_.put(dc[x] | ((dist - dist_base(x)) << dl[x]), dl[x] + dist_extra(x));
  }
  bw_.put(lc[256], ll[256]);
}

}  // namespace

namespace detail {

TP_SMALL void huffman_code_lengths(const std::uint32_t* freq, unsigned n, unsigned max_bits,
                                   std::uint8_t* lengths) {
  std::uint16_t sym[286];
  std::uint32_t a[286] = {};
  unsigned m = 0;
  for (unsigned i = 0; i < n; i++) {
    lengths[i] = 0;
    if (freq[i]) sym[m++] = static_cast<std::uint16_t>(i);
  }
  // At least two codes, so every code is complete: zlib's inflate rejects an incomplete
  // code-length code, and a lone length-1 code is a special case some decoders get wrong.
  for (unsigned i = 0; m < 2 && i < n; i++)
    if (!freq[i]) sym[m++] = static_cast<std::uint16_t>(i);
  // Insertion sort by frequency (n <= 286, once per tree per block).
  for (unsigned i = 1; i < m; i++) {
    std::uint16_t s = sym[i];
    unsigned j = i;
    for (; j > 0 && freq[sym[j - 1]] > freq[s]; j--) sym[j] = sym[j - 1];
    sym[j] = s;
  }
  for (unsigned i = 0; i < m; i++) a[i] = freq[sym[i]];

  // Moffat & Katajainen's in-place minimum-redundancy code: turns sorted weights into depths.
  a[0] += a[1];
  int root = 0, leaf = 2, next;
  int last = static_cast<int>(m) - 1;
  for (next = 1; next < last; next++) {
    if (leaf > last || a[root] < a[leaf]) {
      a[next] = a[root];
      a[root++] = next;
    } else {
      a[next] = a[leaf++];
    }
    if (leaf > last || (root < next && a[root] < a[leaf])) {
      a[next] += a[root];
      a[root++] = next;
    } else {
      a[next] += a[leaf++];
    }
  }
  a[last - 1] = 0;
  for (next = last - 2; next >= 0; next--) a[next] = a[a[next]] + 1;
  int avail = 1, used = 0, depth = 0;
  root = last - 1;
  next = last;
  while (avail > 0) {
    while (root >= 0 && static_cast<int>(a[root]) == depth) used++, root--;
    while (avail > used) a[next--] = depth, avail--;
    avail = 2 * used, depth++, used = 0;
  }

  // Length limit (as miniz): clamp, then while the Kraft sum (in units of 2^-max_bits) is over 1,
  // move one leaf off the deepest level and push a shallower leaf one level down, which lowers the
  // sum by exactly one unit. A max-depth leaf always remains: each deep subtree of k leaves that was
  // clamped added k-1 units and k leaves, so max-depth leaves outnumber the excess throughout.
  unsigned count[16] = {};
  for (unsigned i = 0; i < m; i++) count[a[i] < max_bits ? a[i] : max_bits]++;
  std::uint32_t kraft = 0;
  for (unsigned b = 1; b <= max_bits; b++) kraft += count[b] << (max_bits - b);
  for (; kraft > (1u << max_bits); kraft--) {
    count[max_bits]--;
    for (unsigned b = max_bits - 1; b > 0; b--) {
      if (count[b]) {
        count[b]--;
        count[b + 1] += 2;
        break;
      }
    }
  }
  // Least frequent symbols take the longest codes.
  for (unsigned b = max_bits, i = 0; b > 0; b--)
    for (unsigned k = count[b]; k > 0; k--) lengths[sym[i++]] = static_cast<std::uint8_t>(b);
}

}  // namespace detail

namespace {
// Slicing-by-8 CRC tables (Intel's, as in zlib 1.2's crc32_little), built on first use: 8 KB of
// zero-initialised memory, nothing in the wasm binary, ~10 us once. Eight bytes per step run at
// ~2 GB/s natively; one byte per step (~400 MB/s) would cost a third of a JSON batch's time.
struct CrcTables {
  std::uint32_t t[8][256];
  TP_SMALL CrcTables() {
    for (std::uint32_t i = 0; i < 256; i++) {
      std::uint32_t c = i;
      for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1)));
      t[0][i] = c;
    }
    for (int k = 1; k < 8; k++)
      for (int i = 0; i < 256; i++) t[k][i] = (t[k - 1][i] >> 8) ^ t[0][t[k - 1][i] & 0xFF];
  }
};

inline std::uint32_t load_le32(const unsigned char* p) {
  return p[0] | (p[1] << 8) | (p[2] << 16) | (std::uint32_t(p[3]) << 24);
}
}  // namespace

std::uint32_t crc32(std::string_view data, std::uint32_t crc) {
  static const CrcTables tables;
  const auto& t = tables.t;
  const auto* p = reinterpret_cast<const unsigned char*>(data.data());
  std::size_t n = data.size();
  crc = ~crc;
  for (; n >= 8; n -= 8, p += 8) {
    std::uint32_t lo = crc ^ load_le32(p), hi = load_le32(p + 4);
    crc = t[7][lo & 0xFF] ^ t[6][(lo >> 8) & 0xFF] ^ t[5][(lo >> 16) & 0xFF] ^ t[4][lo >> 24] ^
          t[3][hi & 0xFF] ^ t[2][(hi >> 8) & 0xFF] ^ t[1][(hi >> 16) & 0xFF] ^ t[0][hi >> 24];
  }
  for (; n > 0; n--) crc = (crc >> 8) ^ t[0][(crc ^ *p++) & 0xFF];
  return ~crc;
}

std::string gzip_compress(std::string_view input, int level) {
  level = level < 0 ? 0 : level > 9 ? 9 : level;
  std::string out;
  out.reserve(input.size() / 4 + 64);
  // ID1 ID2, CM=deflate, FLG=0, MTIME=0, XFL as zlib sets it (2 = best, 4 = fastest), OS=255 (unknown).
  const char header[10] = {'\x1f', '\x8b', 8, 0, 0, 0, 0, 0, char(level == 9 ? 2 : level < 2 ? 4 : 0), '\xff'};
  out.append(header, 10);
  BitWriter bw(out);
  Deflater deflater(bw, kEffort[level]);
  const auto* data = reinterpret_cast<const std::uint8_t*>(input.data());
  std::size_t done = 0;
  do {
    std::size_t n = input.size() - done < kSegmentBytes ? input.size() - done : kSegmentBytes;
    deflater.segment(data + done, n, done + n == input.size());
    done += n;
  } while (done < input.size());
  bw.align();
  std::uint32_t crc = crc32(input), size = static_cast<std::uint32_t>(input.size());
  const char trailer[8] = {char(crc), char(crc >> 8), char(crc >> 16), char(crc >> 24),
                           char(size), char(size >> 8), char(size >> 16), char(size >> 24)};
  out.append(trailer, 8);
  return out;
}

}  // namespace touchpoint
