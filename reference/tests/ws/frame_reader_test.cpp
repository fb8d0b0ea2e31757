// Tests for the server-side WebSocket frame reader: every length class fed whole, split at each
// byte and byte by byte; fragmentation state; each framing error reported at its deciding byte.
#include "reference/ws/frame_reader.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace flake::ws {
namespace {

using Bytes = std::vector<uint8_t>;
using Kind = FrameEvent::Kind;

// Test-local encoder, independent of the reader: a client frame with a chosen key and, to test
// non-minimal encodings and headers without payload, a chosen length form and declared length.
// Built with chained setters: Spec().op(0x9).fin(false).
struct Spec {
  enum class Form { kMinimal, k7, k16, k64 };

  Spec& fin(bool v) {
    fin_ = v;
    return *this;
  }
  Spec& rsv1(bool v) {
    rsv1_ = v;
    return *this;
  }
  Spec& rsv2(bool v) {
    rsv2_ = v;
    return *this;
  }
  Spec& rsv3(bool v) {
    rsv3_ = v;
    return *this;
  }
  Spec& op(uint8_t v) {
    opcode_ = v;
    return *this;
  }
  Spec& masked(bool v) {
    masked_ = v;
    return *this;
  }
  Spec& key(std::array<uint8_t, 4> v) {
    key_ = v;
    return *this;
  }
  Spec& form(Form v) {
    form_ = v;
    return *this;
  }
  Spec& declared(uint64_t v) {
    declared_ = v;
    return *this;
  }

  bool fin_ = true;
  bool rsv1_ = false;
  bool rsv2_ = false;
  bool rsv3_ = false;
  uint8_t opcode_ = 0x1;
  bool masked_ = true;
  std::array<uint8_t, 4> key_ = {0x37, 0xfa, 0x21, 0x3d};
  Form form_ = Form::kMinimal;
  std::optional<uint64_t> declared_;  // length field when it should differ from the payload size
};

Bytes encode(const Spec& s, const Bytes& payload = {}) {
  Bytes out;
  out.push_back(static_cast<uint8_t>((s.fin_ ? 0x80 : 0) | (s.rsv1_ ? 0x40 : 0) |
                                     (s.rsv2_ ? 0x20 : 0) | (s.rsv3_ ? 0x10 : 0) | s.opcode_));
  const uint64_t len = s.declared_.value_or(payload.size());
  Spec::Form form = s.form_;
  if (form == Spec::Form::kMinimal) {
    form = len <= 125 ? Spec::Form::k7 : len <= 0xFFFF ? Spec::Form::k16 : Spec::Form::k64;
  }
  const uint8_t mask_bit = s.masked_ ? 0x80 : 0;
  if (form == Spec::Form::k7) {
    out.push_back(static_cast<uint8_t>(mask_bit | len));
  } else if (form == Spec::Form::k16) {
    out.push_back(mask_bit | 126);
    for (int i = 1; i >= 0; --i) out.push_back(static_cast<uint8_t>(len >> (8 * i)));
  } else {
    out.push_back(mask_bit | 127);
    for (int i = 7; i >= 0; --i) out.push_back(static_cast<uint8_t>(len >> (8 * i)));
  }
  if (s.masked_) out.insert(out.end(), s.key_.begin(), s.key_.end());
  for (size_t i = 0; i < payload.size(); ++i) {
    out.push_back(s.masked_ ? static_cast<uint8_t>(payload[i] ^ s.key_[i % 4]) : payload[i]);
  }
  return out;
}

Bytes pattern(size_t n) {
  Bytes b(n);
  for (size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>(i * 131 + 7 + (i >> 8));
  return b;
}

Bytes text(std::string_view s) {
  return Bytes(s.begin(), s.end());
}

Bytes concat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

struct Frame {
  FrameHeader header;
  Bytes payload;
};

// Feeds chunks to a reader, drains events until kIncomplete, checks the event grammar
// (kHeader kPayload* kFrameEnd, payloads non-empty views into the input, lengths adding up) and
// collects the frames.
class Collector {
 public:
  explicit Collector(bool rsv1_allowed = false, FrameLeniency leniency = {})
      : reader(rsv1_allowed, leniency) {}

  void feed(std::span<const uint8_t> bytes) {
    Bytes buf(bytes.begin(), bytes.end());
    std::span<uint8_t> in(buf);
    for (;;) {
      const uint8_t* front = in.data();
      const FrameEvent ev = reader.next(in);
      fed += static_cast<size_t>(in.data() - front);
      switch (ev.kind) {
        case Kind::kIncomplete:
          EXPECT_TRUE(in.empty());
          return;
        case Kind::kHeader:
          EXPECT_FALSE(current.has_value());
          current = Frame{ev.header, {}};
          break;
        case Kind::kPayload:
          if (!current) {
            ADD_FAILURE() << "payload outside a frame";
            return;
          }
          EXPECT_FALSE(ev.payload.empty());
          EXPECT_EQ(ev.payload.data(), front);  // unmasked in place, a view into the input
          EXPECT_EQ(ev.header.opcode, current->header.opcode);
          current->payload.insert(current->payload.end(), ev.payload.begin(), ev.payload.end());
          break;
        case Kind::kFrameEnd:
          if (!current) {
            ADD_FAILURE() << "frame end outside a frame";
            return;
          }
          EXPECT_EQ(current->payload.size(), current->header.length);
          frames.push_back(std::move(*current));
          current.reset();
          break;
        case Kind::kError:
          error = ev.error;
          return;
      }
    }
  }
  void feed(const Bytes& b) { feed(std::span<const uint8_t>(b)); }

  FrameReader reader;
  std::vector<Frame> frames;
  std::optional<Frame> current;  // a frame whose header came but whose end has not
  std::optional<FrameError> error;
  size_t fed = 0;  // bytes the reader consumed
};

void expect_single_text(const Collector& c, const Bytes& payload) {
  EXPECT_FALSE(c.error.has_value());
  EXPECT_FALSE(c.current.has_value());
  ASSERT_EQ(c.frames.size(), 1u);
  EXPECT_TRUE(c.frames[0].header.fin);
  EXPECT_EQ(c.frames[0].header.opcode, uint8_t(Opcode::kText));
  EXPECT_EQ(c.frames[0].header.length, payload.size());
  EXPECT_TRUE(c.frames[0].payload == payload);
}

// Split positions: every one for small frames. For large frames exhaustive splitting is quadratic
// (10^10 bytes unmasked for 100000 under sanitizers), so all positions in the first and last 1 KiB
// (header, every key phase and word offset, the frame end) and a prime stride between them.
std::vector<size_t> split_positions(size_t size) {
  std::vector<size_t> out;
  for (size_t i = 0; i <= size; ++i) {
    if (size <= 4096 || i <= 1024 || i + 1024 >= size || i % 257 == 0) {
      out.push_back(i);
    }
  }
  return out;
}

class LengthClass : public ::testing::TestWithParam<size_t> {};

TEST_P(LengthClass, Whole) {
  const Bytes payload = pattern(GetParam());
  Collector c;
  c.feed(encode(Spec(), payload));
  expect_single_text(c, payload);
  EXPECT_FALSE(c.reader.in_message());
}

void run_splits(size_t n) {
  const Bytes payload = pattern(n);
  const Bytes wire = encode(Spec(), payload);
  for (size_t at : split_positions(wire.size())) {
    SCOPED_TRACE("split at " + std::to_string(at));
    Collector c;
    c.feed(std::span(wire).first(at));
    c.feed(std::span(wire).subspan(at));
    expect_single_text(c, payload);
    if (::testing::Test::HasFailure()) return;
  }
}

TEST_P(LengthClass, SplitInTwo) {
  run_splits(GetParam());
}

TEST_P(LengthClass, OneByteAtATime) {
  const Bytes payload = pattern(GetParam());
  const Bytes wire = encode(Spec(), payload);
  Collector c;
  for (size_t i = 0; i < wire.size(); ++i) c.feed(std::span(wire).subspan(i, 1));
  expect_single_text(c, payload);
}

INSTANTIATE_TEST_SUITE_P(WsFrameReader, LengthClass,
                         ::testing::Values(0, 5, 125, 126, 65535, 65536, 100000));

TEST(WsFrameReader, HeaderEventsForEachLengthForm) {
  for (size_t n : {size_t{0}, size_t{125}, size_t{126}, size_t{65535}, size_t{65536}}) {
    SCOPED_TRACE(n);
    Bytes wire = encode(Spec(), pattern(n));
    const size_t header_size = n <= 125 ? 6 : n <= 0xFFFF ? 8 : 14;
    FrameReader r;
    // One byte short of the header: nothing but kIncomplete, everything consumed.
    std::span<uint8_t> in = std::span(wire).first(header_size - 1);
    EXPECT_EQ(r.next(in).kind, Kind::kIncomplete);
    EXPECT_TRUE(in.empty());
    in = std::span(wire).subspan(header_size - 1);
    const FrameEvent h = r.next(in);
    ASSERT_EQ(h.kind, Kind::kHeader);
    EXPECT_EQ(h.header.length, n);
    EXPECT_EQ(in.size(), n);
    if (n > 0) {
      const FrameEvent p = r.next(in);
      ASSERT_EQ(p.kind, Kind::kPayload);
      EXPECT_EQ(p.payload.size(), n);
      EXPECT_TRUE(in.empty());
    }
    EXPECT_EQ(r.next(in).kind, Kind::kFrameEnd);
    EXPECT_EQ(r.next(in).kind, Kind::kIncomplete);
  }
}

TEST(WsFrameReader, ZeroLengthFrameGivesHeaderThenFrameEnd) {
  Bytes wire = encode(Spec().op(0xA));
  FrameReader r;
  std::span<uint8_t> in(wire);
  const FrameEvent h = r.next(in);
  ASSERT_EQ(h.kind, Kind::kHeader);
  EXPECT_EQ(h.header.opcode, uint8_t(Opcode::kPong));
  EXPECT_EQ(h.header.length, 0u);
  EXPECT_TRUE(in.empty());
  // kFrameEnd needs no more input.
  const FrameEvent e = r.next(in);
  EXPECT_EQ(e.kind, Kind::kFrameEnd);
  EXPECT_EQ(e.header.opcode, uint8_t(Opcode::kPong));
  EXPECT_EQ(r.next(in).kind, Kind::kIncomplete);
}

TEST(WsFrameReader, EmptyInputIsIncompleteAndChangesNothing) {
  FrameReader r;
  std::span<uint8_t> empty;
  EXPECT_EQ(r.next(empty).kind, Kind::kIncomplete);
  EXPECT_EQ(r.next(empty).kind, Kind::kIncomplete);
  Collector c;
  c.feed(Bytes{});
  const Bytes payload = text("hi");
  c.feed(encode(Spec(), payload));
  expect_single_text(c, payload);
}

TEST(WsFrameReader, PayloadChunksFollowTheInputAndKeepTheKeyPhase) {
  // Chunk sizes 1..9 cycle over key phases and word offsets; each chunk is a separate call.
  for (size_t n : {size_t{1}, size_t{3}, size_t{8}, size_t{31}, size_t{33}, size_t{70}}) {
    for (size_t step = 1; step <= 9; ++step) {
      SCOPED_TRACE(std::to_string(n) + " bytes in steps of " + std::to_string(step));
      const Bytes payload = pattern(n);
      const Bytes wire = encode(Spec().key({0x01, 0x80, 0xff, 0x5a}), payload);
      Collector c;
      for (size_t i = 0; i < wire.size(); i += step) {
        c.feed(std::span(wire).subspan(i, std::min(step, wire.size() - i)));
      }
      expect_single_text(c, payload);
    }
  }
}

TEST(WsFrameReader, NonMinimalLengthEncodingsAreAccepted) {
  const Bytes five = text("hello");
  const Bytes big = pattern(126);
  for (const auto& [spec, payload] :
       {std::pair{Spec().form(Spec::Form::k16), five},
        std::pair{Spec().form(Spec::Form::k64), five}, std::pair{Spec().form(Spec::Form::k64), big},
        std::pair{Spec().form(Spec::Form::k16), Bytes{}}}) {
    Collector c;
    c.feed(encode(spec, payload));
    expect_single_text(c, payload);
  }
}

TEST(WsFrameReader, HugeDeclaredLengthNeedsNoPayloadForTheHeader) {
  const uint64_t declared = uint64_t{1} << 40;
  Bytes wire = encode(Spec().op(0x2).declared(declared));
  wire.push_back(0x37 ^ 'a');  // first payload byte, masked with key[0]
  FrameReader r;
  std::span<uint8_t> in(wire);
  const FrameEvent h = r.next(in);
  ASSERT_EQ(h.kind, Kind::kHeader);
  EXPECT_EQ(h.header.length, declared);
  const FrameEvent p = r.next(in);
  ASSERT_EQ(p.kind, Kind::kPayload);
  ASSERT_EQ(p.payload.size(), 1u);
  EXPECT_EQ(p.payload[0], 'a');
  EXPECT_EQ(r.next(in).kind, Kind::kIncomplete);

  // The largest legal length, MSB clear.
  Collector c;
  c.feed(encode(Spec().op(0x2).declared(0x7FFF'FFFF'FFFF'FFFFull)));
  EXPECT_FALSE(c.error.has_value());
  ASSERT_TRUE(c.current.has_value());
  EXPECT_EQ(c.current->header.length, 0x7FFF'FFFF'FFFF'FFFFull);
}

TEST(WsFrameReader, FragmentedMessageWithInterleavedPing) {
  Bytes first = encode(Spec().fin(false).op(0x1), text("Hel"));
  Bytes ping = encode(Spec().op(0x9).key({9, 8, 7, 6}), text("are you there"));
  Bytes middle = encode(Spec().fin(false).op(0x0), text("lo, "));
  Bytes last = encode(Spec().fin(true).op(0x0).key({0xaa, 0xbb, 0xcc, 0xdd}), text("world"));

  FrameReader r;
  EXPECT_FALSE(r.in_message());
  auto step = [&](Bytes& wire, uint8_t opcode, bool fin, std::string_view body, bool during,
                  bool after) {
    SCOPED_TRACE(body);
    std::span<uint8_t> in(wire);
    const FrameEvent h = r.next(in);
    ASSERT_EQ(h.kind, Kind::kHeader);
    EXPECT_EQ(h.header.opcode, opcode);
    EXPECT_EQ(h.header.fin, fin);
    EXPECT_EQ(r.in_message(), during);
    const FrameEvent p = r.next(in);
    ASSERT_EQ(p.kind, Kind::kPayload);
    EXPECT_EQ(std::string(p.payload.begin(), p.payload.end()), body);
    EXPECT_EQ(r.in_message(), during);
    EXPECT_EQ(r.next(in).kind, Kind::kFrameEnd);
    EXPECT_EQ(r.in_message(), after);
  };
  step(first, 0x1, false, "Hel", true, true);
  step(ping, 0x9, true, "are you there", true, true);
  step(middle, 0x0, false, "lo, ", true, true);
  step(last, 0x0, true, "world", false, false);

  // A new message may start afterwards.
  Bytes next = encode(Spec(), text("again"));
  step(next, 0x1, true, "again", false, false);
}

TEST(WsFrameReader, SeveralFramesInOneBuffer) {
  const Bytes wire = concat({
      encode(Spec(), text("one")),
      encode(Spec().op(0x9), {}),
      encode(Spec().fin(false).op(0x2).key({1, 2, 3, 4}), pattern(200)),
      encode(Spec().op(0xA).key({5, 6, 7, 8}), text("pong")),
      encode(Spec().fin(true).op(0x0), pattern(7)),
      encode(Spec().op(0x8), Bytes{0x03, 0xe8, 'b', 'y', 'e'}),
  });
  auto check = [](const Collector& c) {
    EXPECT_FALSE(c.error.has_value());
    EXPECT_FALSE(c.current.has_value());
    ASSERT_EQ(c.frames.size(), 6u);
    EXPECT_TRUE(c.frames[0].payload == text("one"));
    EXPECT_EQ(c.frames[1].header.opcode, 0x9);
    EXPECT_TRUE(c.frames[1].payload.empty());
    EXPECT_FALSE(c.frames[2].header.fin);
    EXPECT_TRUE(c.frames[2].payload == pattern(200));
    EXPECT_TRUE(c.frames[3].payload == text("pong"));
    EXPECT_EQ(c.frames[4].header.opcode, 0x0);
    EXPECT_TRUE(c.frames[4].payload == pattern(7));
    EXPECT_EQ(c.frames[5].header.opcode, 0x8);
    EXPECT_TRUE(c.frames[5].payload == (Bytes{0x03, 0xe8, 'b', 'y', 'e'}));
    EXPECT_FALSE(c.reader.in_message());
  };
  {
    Collector c;
    c.feed(wire);
    check(c);
  }
  for (size_t at = 0; at <= wire.size(); ++at) {
    SCOPED_TRACE("split at " + std::to_string(at));
    Collector c;
    c.feed(std::span(wire).first(at));
    c.feed(std::span(wire).subspan(at));
    check(c);
    if (HasFailure()) return;
  }
  Collector c;
  for (size_t i = 0; i < wire.size(); ++i) c.feed(std::span(wire).subspan(i, 1));
  check(c);
}

// An error case: `prefix` (valid frames) then `bad`, whose first `deciding` bytes decide the error.
struct ErrorCase {
  std::string name;
  Bytes prefix;
  Bytes bad;
  size_t deciding;
  FrameError error;
  bool rsv1_allowed = false;
};

std::vector<ErrorCase> error_cases() {
  const Bytes open = encode(Spec().fin(false).op(0x1), text("ab"));
  std::vector<ErrorCase> cases = {
      {"unmasked", {}, encode(Spec().masked(false), text("hello")), 2, FrameError::kUnmasked},
      {"unmasked empty", {}, {0x81, 0x00}, 2, FrameError::kUnmasked},
      {"rsv2", {}, encode(Spec().rsv2(true), text("x")), 2, FrameError::kReservedBits},
      {"rsv3", {}, encode(Spec().rsv3(true), text("x")), 2, FrameError::kReservedBits},
      {"rsv1 without deflate",
       {},
       encode(Spec().rsv1(true), text("x")),
       2,
       FrameError::kReservedBits},
      {"rsv1 on continuation", open, encode(Spec().rsv1(true).op(0x0), text("x")), 2,
       FrameError::kReservedBits, true},
      {"rsv1 on ping", {}, encode(Spec().rsv1(true).op(0x9)), 2, FrameError::kReservedBits, true},
      {"rsv1 on close", {}, encode(Spec().rsv1(true).op(0x8)), 2, FrameError::kReservedBits, true},
      {"fragmented ping", {}, encode(Spec().fin(false).op(0x9)), 2, FrameError::kFragmentedControl},
      {"fragmented close",
       {},
       encode(Spec().fin(false).op(0x8)),
       2,
       FrameError::kFragmentedControl},
      {"ping of 126", {}, encode(Spec().op(0x9), pattern(126)), 2, FrameError::kControlTooLong},
      {"pong with 64-bit length",
       {},
       encode(Spec().op(0xA).form(Spec::Form::k64), text("x")),
       2,
       FrameError::kControlTooLong},
      {"bad length",
       {},
       encode(Spec().op(0x2).declared(0x8000'0000'0000'0000ull)),
       3,
       FrameError::kBadLength},
      {"bad length all ones", {}, {0x82, 0xFF, 0xFF}, 3, FrameError::kBadLength},
      {"continuation without message",
       {},
       encode(Spec().op(0x0), text("x")),
       2,
       FrameError::kUnexpectedContinuation},
      {"continuation after final", encode(Spec(), text("done")), encode(Spec().op(0x0), text("x")),
       2, FrameError::kUnexpectedContinuation},
      {"text inside message", open, encode(Spec(), text("x")), 2,
       FrameError::kExpectedContinuation},
      {"binary inside message", open, encode(Spec().op(0x2), text("x")), 2,
       FrameError::kExpectedContinuation},
      // When several rules are broken, the first in the documented order wins.
      {"rsv2 and unknown opcode",
       {},
       encode(Spec().rsv2(true).op(0x3)),
       2,
       FrameError::kReservedBits},
      {"rsv1 on unknown control opcode",
       {},
       encode(Spec().rsv1(true).op(0xB)),
       2,
       FrameError::kReservedBits,
       true},
      {"unknown opcode fragmented",
       {},
       encode(Spec().fin(false).op(0xC)),
       2,
       FrameError::kUnknownOpcode},
      {"fragmented and too long ping",
       {},
       encode(Spec().fin(false).op(0x9), pattern(200)),
       2,
       FrameError::kFragmentedControl},
      {"ping too long and unmasked",
       {},
       encode(Spec().op(0x9).masked(false), pattern(200)),
       2,
       FrameError::kControlTooLong},
      {"unmasked continuation without message",
       {},
       encode(Spec().op(0x0).masked(false), text("x")),
       2,
       FrameError::kUnexpectedContinuation},
      {"unmasked text inside message", open, encode(Spec().masked(false), text("x")), 2,
       FrameError::kExpectedContinuation},
  };
  for (uint8_t op : {0x3, 0x4, 0x5, 0x6, 0x7, 0xB, 0xC, 0xD, 0xE, 0xF}) {
    cases.push_back({"unknown opcode " + std::to_string(op),
                     {},
                     encode(Spec().op(op)),
                     2,
                     FrameError::kUnknownOpcode});
  }
  return cases;
}

void expect_error_at_deciding_byte(const ErrorCase& ec, FrameLeniency leniency) {
  SCOPED_TRACE(ec.name);
  // Byte by byte: nothing before the deciding byte, the error right at it, even though the
  // rest of the frame (its payload) never arrives.
  Collector c(ec.rsv1_allowed, leniency);
  c.feed(ec.prefix);
  ASSERT_FALSE(c.error.has_value());
  ASSERT_FALSE(c.current.has_value());
  for (size_t i = 0; i < ec.deciding; ++i) {
    EXPECT_FALSE(c.error.has_value()) << "error before byte " << i + 1;
    c.feed(std::span(ec.bad).subspan(i, 1));
  }
  ASSERT_TRUE(c.error.has_value());
  EXPECT_EQ(*c.error, ec.error) << describe(*c.error);
  EXPECT_EQ(c.fed, ec.prefix.size() + ec.deciding);

  // Whole input: the reader stops right after the deciding byte.
  Bytes wire = concat({ec.prefix, ec.bad});
  FrameReader r(ec.rsv1_allowed, leniency);
  std::span<uint8_t> in(wire);
  FrameEvent ev;
  do {
    ev = r.next(in);
  } while (ev.kind != Kind::kError && ev.kind != Kind::kIncomplete);
  ASSERT_EQ(ev.kind, Kind::kError);
  EXPECT_EQ(ev.error, ec.error);
  EXPECT_EQ(in.size(), ec.bad.size() - ec.deciding);

  // Sticky: the same error again, more input left alone.
  Bytes good = encode(Spec(), text("fine"));
  for (int i = 0; i < 2; ++i) {
    std::span<uint8_t> more(good);
    const FrameEvent again = r.next(more);
    EXPECT_EQ(again.kind, Kind::kError);
    EXPECT_EQ(again.error, ec.error);
    EXPECT_EQ(more.size(), good.size());
  }
  std::span<uint8_t> empty;
  EXPECT_EQ(r.next(empty).kind, Kind::kError);
}

TEST(WsFrameReader, ErrorsAreReportedAtTheirDecidingByte) {
  for (const ErrorCase& ec : error_cases()) expect_error_at_deciding_byte(ec, {});
}

// The defect switches relax only their own rule. A case reporting neither kUnmasked nor
// kReservedBits breaks neither rule (kReservedBits is checked first, kUnmasked last), so it fails
// the same way with both switches on.
TEST(WsFrameReader, LeniencyKeepsEveryOtherRule) {
  const FrameLeniency all{.unmasked_accepted = true, .reserved_bits_ignored = true};
  for (const ErrorCase& ec : error_cases()) {
    if (ec.error == FrameError::kUnmasked || ec.error == FrameError::kReservedBits) continue;
    expect_error_at_deciding_byte(ec, all);
  }
}

TEST(WsFrameReader, ControlFrameOf125IsAccepted) {
  Collector c;
  c.feed(encode(Spec().op(0x8), pattern(125)));
  EXPECT_FALSE(c.error.has_value());
  ASSERT_EQ(c.frames.size(), 1u);
  EXPECT_TRUE(c.frames[0].payload == pattern(125));
}

TEST(WsFrameReader, Rsv1AllowedOnlyOnFirstDataFrameWhenNegotiated) {
  {
    Collector c(true);
    c.feed(encode(Spec().rsv1(true).op(0x2), pattern(9)));
    EXPECT_FALSE(c.error.has_value());
    ASSERT_EQ(c.frames.size(), 1u);
    EXPECT_TRUE(c.frames[0].header.rsv1);
  }
  {
    // Compressed fragmented message: RSV1 on the first frame only, a ping in between.
    Collector c(true);
    c.feed(concat({encode(Spec().fin(false).rsv1(true), text("ab")), encode(Spec().op(0x9)),
                   encode(Spec().op(0x0), text("cd"))}));
    EXPECT_FALSE(c.error.has_value());
    ASSERT_EQ(c.frames.size(), 3u);
    EXPECT_TRUE(c.frames[0].header.rsv1);
    EXPECT_FALSE(c.frames[1].header.rsv1);
    EXPECT_FALSE(c.frames[2].header.rsv1);
  }
  {
    Collector c(true);
    c.feed(encode(Spec(), text("plain")));  // uncompressed messages stay legal
    EXPECT_FALSE(c.error.has_value());
    ASSERT_EQ(c.frames.size(), 1u);
    EXPECT_FALSE(c.frames[0].header.rsv1);
  }
  {
    Collector c(false);
    c.feed(encode(Spec().rsv1(true), text("x")));
    EXPECT_EQ(c.error, FrameError::kReservedBits);
  }
  {
    Collector c(true);
    c.feed(concat({encode(Spec().fin(false).rsv1(true), text("ab")),
                   encode(Spec().rsv1(true).op(0x0), text("cd"))}));
    EXPECT_EQ(c.error, FrameError::kReservedBits);
  }
}

// Feeds `wire` whole, split in two at every byte, and one byte at a time, checking the frames each
// way.
template <typename Check>
void at_every_split(const Bytes& wire, bool rsv1_allowed, FrameLeniency leniency, Check check) {
  {
    SCOPED_TRACE("whole");
    Collector c(rsv1_allowed, leniency);
    c.feed(wire);
    check(c);
  }
  for (size_t at = 0; at <= wire.size(); ++at) {
    SCOPED_TRACE("split at " + std::to_string(at));
    Collector c(rsv1_allowed, leniency);
    c.feed(std::span(wire).first(at));
    c.feed(std::span(wire).subspan(at));
    check(c);
    if (::testing::Test::HasFailure()) return;
  }
  SCOPED_TRACE("byte by byte");
  Collector c(rsv1_allowed, leniency);
  for (size_t i = 0; i < wire.size(); ++i) c.feed(std::span(wire).subspan(i, 1));
  check(c);
}

constexpr FrameLeniency kUnmaskedAccepted{.unmasked_accepted = true};
constexpr FrameLeniency kReservedBitsIgnored{.reserved_bits_ignored = true};

TEST(WsFrameReader, UnmaskedAcceptedReadsUnmaskedFramesAsTheyStand) {
  for (size_t n : {size_t{0}, size_t{5}, size_t{125}, size_t{126}, size_t{300}}) {
    SCOPED_TRACE(n);
    const Bytes payload = pattern(n);
    const Bytes wire = encode(Spec().masked(false), payload);
    {
      Collector strict;
      strict.feed(wire);
      EXPECT_EQ(strict.error, FrameError::kUnmasked);
    }
    at_every_split(wire, false, kUnmaskedAccepted,
                   [&](const Collector& c) { expect_single_text(c, payload); });
  }
  // The 64-bit length form, header only: no mask key follows the length.
  Collector c(false, kUnmaskedAccepted);
  Bytes wire = encode(Spec().masked(false).op(0x2).declared(uint64_t{1} << 40));
  wire.push_back('a');
  c.feed(wire);
  EXPECT_FALSE(c.error.has_value());
  ASSERT_TRUE(c.current.has_value());
  EXPECT_EQ(c.current->header.length, uint64_t{1} << 40);
  EXPECT_TRUE(c.current->payload == text("a"));
}

TEST(WsFrameReader, UnmaskedAcceptedHeaderHasNoMaskKey) {
  for (size_t n : {size_t{0}, size_t{125}, size_t{126}, size_t{65536}}) {
    SCOPED_TRACE(n);
    Bytes wire = encode(Spec().masked(false), pattern(n));
    const size_t header_size = n <= 125 ? 2 : n <= 0xFFFF ? 4 : 10;
    FrameReader r(false, kUnmaskedAccepted);
    std::span<uint8_t> in = std::span(wire).first(header_size - 1);
    EXPECT_EQ(r.next(in).kind, Kind::kIncomplete);
    in = std::span(wire).subspan(header_size - 1);
    const FrameEvent h = r.next(in);
    ASSERT_EQ(h.kind, Kind::kHeader);
    EXPECT_EQ(h.header.length, n);
    EXPECT_EQ(in.size(), n);
  }
}

TEST(WsFrameReader, UnmaskedAcceptedStillUnmasksMaskedFrames) {
  for (size_t n : {size_t{0}, size_t{5}, size_t{126}, size_t{65536}}) {
    SCOPED_TRACE(n);
    const Bytes payload = pattern(n);
    Collector c(false, kUnmaskedAccepted);
    c.feed(encode(Spec(), payload));
    expect_single_text(c, payload);
  }
  // Masked and unmasked frames interleaved, inside one fragmented message and around it.
  const Bytes wire = concat({
      encode(Spec().fin(false), text("mas")),
      encode(Spec().op(0x9).masked(false), text("ping")),
      encode(Spec().fin(false).op(0x0).masked(false), pattern(9)),
      encode(Spec().op(0x0).key({1, 2, 3, 4}), pattern(13)),
      encode(Spec().op(0x2).masked(false), pattern(130)),
      encode(Spec().op(0x2).key({0xde, 0xad, 0xbe, 0xef}), pattern(130)),
  });
  at_every_split(wire, false, kUnmaskedAccepted, [](const Collector& c) {
    EXPECT_FALSE(c.error.has_value());
    EXPECT_FALSE(c.current.has_value());
    ASSERT_EQ(c.frames.size(), 6u);
    EXPECT_TRUE(c.frames[0].payload == text("mas"));
    EXPECT_TRUE(c.frames[1].payload == text("ping"));
    EXPECT_TRUE(c.frames[2].payload == pattern(9));
    EXPECT_TRUE(c.frames[3].payload == pattern(13));
    EXPECT_TRUE(c.frames[4].payload == pattern(130));
    EXPECT_TRUE(c.frames[5].payload == pattern(130));
    EXPECT_FALSE(c.reader.in_message());
  });
}

TEST(WsFrameReader, ReservedBitsIgnoredClearsThemAndReadsTheFrame) {
  const Bytes open = encode(Spec().fin(false).op(0x1), text("ab"));
  struct Case {
    std::string name;
    Bytes prefix;  // valid frames before the one under test
    Spec spec;
    bool rsv1_allowed;
  };
  const std::vector<Case> cases = {
      {"rsv2", {}, Spec().rsv2(true), false},
      {"rsv3", {}, Spec().rsv3(true).op(0x2), false},
      {"rsv1 without deflate", {}, Spec().rsv1(true), false},
      {"all three without deflate", {}, Spec().rsv1(true).rsv2(true).rsv3(true), false},
      {"rsv1 on continuation", open, Spec().rsv1(true).op(0x0), true},
      {"rsv1 on ping", {}, Spec().rsv1(true).op(0x9), true},
      {"rsv1 and rsv3 on close", {}, Spec().rsv1(true).rsv3(true).op(0x8), true},
  };
  for (const Case& k : cases) {
    SCOPED_TRACE(k.name);
    const Bytes payload = text("payload");
    const Bytes wire = concat({k.prefix, encode(k.spec, payload)});
    {
      Collector strict(k.rsv1_allowed);
      strict.feed(wire);
      EXPECT_EQ(strict.error, FrameError::kReservedBits);
    }
    const size_t index = k.prefix.empty() ? 0 : 1;
    at_every_split(wire, k.rsv1_allowed, kReservedBitsIgnored, [&](const Collector& c) {
      EXPECT_FALSE(c.error.has_value());
      EXPECT_FALSE(c.current.has_value());
      ASSERT_EQ(c.frames.size(), index + 1);
      const Frame& f = c.frames[index];
      EXPECT_FALSE(f.header.rsv1);
      EXPECT_EQ(f.header.opcode, k.spec.opcode_);
      EXPECT_TRUE(f.header.fin);
      EXPECT_TRUE(f.payload == payload);
    });
  }
}

TEST(WsFrameReader, ReservedBitsIgnoredKeepsNegotiatedRsv1) {
  // RSV1 on a first data frame with deflate negotiated is legal and still reported, also when
  // RSV2 beside it is cleared; RSV1 on the continuation is not.
  const Bytes wire = concat({
      encode(Spec().fin(false).rsv1(true).rsv2(true).op(0x2), pattern(10)),
      encode(Spec().op(0x0).rsv1(true), pattern(20)),
      encode(Spec().rsv1(true), pattern(5)),
  });
  at_every_split(wire, true, kReservedBitsIgnored, [](const Collector& c) {
    EXPECT_FALSE(c.error.has_value());
    ASSERT_EQ(c.frames.size(), 3u);
    EXPECT_TRUE(c.frames[0].header.rsv1);
    EXPECT_FALSE(c.frames[1].header.rsv1);
    EXPECT_TRUE(c.frames[2].header.rsv1);
    EXPECT_TRUE(c.frames[0].payload == pattern(10));
    EXPECT_TRUE(c.frames[1].payload == pattern(20));
    EXPECT_TRUE(c.frames[2].payload == pattern(5));
  });
}

TEST(WsFrameReader, ReservedBitsIgnoredStillReadsNormalFrames) {
  for (size_t n : {size_t{0}, size_t{5}, size_t{126}, size_t{65536}}) {
    SCOPED_TRACE(n);
    const Bytes payload = pattern(n);
    Collector c(false, kReservedBitsIgnored);
    c.feed(encode(Spec(), payload));
    expect_single_text(c, payload);
  }
  at_every_split(encode(Spec().key({0x01, 0x80, 0xff, 0x5a}), pattern(40)), false,
                 kReservedBitsIgnored,
                 [](const Collector& c) { expect_single_text(c, pattern(40)); });
  // Still strict about the mask: that is the other switch.
  Collector c(false, kReservedBitsIgnored);
  c.feed(encode(Spec().masked(false), text("x")));
  EXPECT_EQ(c.error, FrameError::kUnmasked);
}

TEST(WsFrameReader, BothSwitchesTogether) {
  const Bytes wire = concat({encode(Spec().rsv2(true).masked(false), text("one")),
                             encode(Spec().rsv3(true), text("two"))});
  at_every_split(wire, false, {.unmasked_accepted = true, .reserved_bits_ignored = true},
                 [](const Collector& c) {
                   EXPECT_FALSE(c.error.has_value());
                   ASSERT_EQ(c.frames.size(), 2u);
                   EXPECT_TRUE(c.frames[0].payload == text("one"));
                   EXPECT_TRUE(c.frames[1].payload == text("two"));
                 });
}

TEST(WsFrameReader, DescribeIsShort) {
  for (FrameError e :
       {FrameError::kUnmasked, FrameError::kReservedBits, FrameError::kUnknownOpcode,
        FrameError::kFragmentedControl, FrameError::kControlTooLong, FrameError::kBadLength,
        FrameError::kUnexpectedContinuation, FrameError::kExpectedContinuation}) {
    EXPECT_FALSE(describe(e).empty());
    EXPECT_LE(describe(e).size(), 60u) << describe(e);
  }
}

}  // namespace
}  // namespace flake::ws
