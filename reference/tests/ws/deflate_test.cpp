// permessage-deflate: negotiation answers for the offers browsers and odd clients send, and our
// compressor and decompressor checked against each other, against plain zlib and against RFC 7692's
// own example bytes.
#include "reference/ws/deflate.hpp"

#include <gtest/gtest.h>
#include <zlib.h>

#include <cstdint>
#include <string>
#include <vector>

namespace flake::ws {
namespace {

// ---- negotiation ----

std::string response_for(std::string_view offers) {
  std::optional<DeflateAgreement> agreement = negotiate_deflate(offers);
  return agreement ? agreement->response : "<none>";
}

TEST(NegotiateDeflate, PlainOffer) {
  std::optional<DeflateAgreement> a = negotiate_deflate("permessage-deflate");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->response, "permessage-deflate");
  EXPECT_FALSE(a->params.server_no_context_takeover);
  EXPECT_FALSE(a->params.client_no_context_takeover);
  EXPECT_EQ(a->params.server_max_window_bits, 15);
  EXPECT_EQ(a->params.client_max_window_bits, 15);
}

TEST(NegotiateDeflate, BrowserOffer) {
  // What Chrome and Firefox send.
  EXPECT_EQ(response_for("permessage-deflate; client_max_window_bits"), "permessage-deflate");
}

TEST(NegotiateDeflate, EachParameter) {
  std::optional<DeflateAgreement> a =
      negotiate_deflate("permessage-deflate; server_no_context_takeover");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->response, "permessage-deflate; server_no_context_takeover");
  EXPECT_TRUE(a->params.server_no_context_takeover);
  EXPECT_FALSE(a->params.client_no_context_takeover);

  a = negotiate_deflate("permessage-deflate; client_no_context_takeover");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->response, "permessage-deflate; client_no_context_takeover");
  EXPECT_TRUE(a->params.client_no_context_takeover);
  EXPECT_FALSE(a->params.server_no_context_takeover);

  for (int n = 9; n <= 15; ++n) {
    a = negotiate_deflate("permessage-deflate; server_max_window_bits=" + std::to_string(n));
    ASSERT_TRUE(a) << n;
    EXPECT_EQ(a->response, "permessage-deflate; server_max_window_bits=" + std::to_string(n));
    EXPECT_EQ(a->params.server_max_window_bits, n);
    EXPECT_EQ(a->params.client_max_window_bits, 15);
  }

  for (int n = 8; n <= 15; ++n) {
    a = negotiate_deflate("permessage-deflate; client_max_window_bits=" + std::to_string(n));
    ASSERT_TRUE(a) << n;
    EXPECT_EQ(a->response, "permessage-deflate; client_max_window_bits=" + std::to_string(n));
    EXPECT_EQ(a->params.client_max_window_bits, n);
    EXPECT_EQ(a->params.server_max_window_bits, 15);
  }

  a = negotiate_deflate("permessage-deflate; client_max_window_bits");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->response, "permessage-deflate");
  EXPECT_EQ(a->params.client_max_window_bits, 15);
}

TEST(NegotiateDeflate, AllParametersTogether) {
  std::optional<DeflateAgreement> a = negotiate_deflate(
      "permessage-deflate; client_max_window_bits=10; server_max_window_bits=12; "
      "client_no_context_takeover; server_no_context_takeover");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->response,
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover; "
            "server_max_window_bits=12; client_max_window_bits=10");
  EXPECT_TRUE(a->params.server_no_context_takeover);
  EXPECT_TRUE(a->params.client_no_context_takeover);
  EXPECT_EQ(a->params.server_max_window_bits, 12);
  EXPECT_EQ(a->params.client_max_window_bits, 10);
}

TEST(NegotiateDeflate, QuotedValues) {
  EXPECT_EQ(response_for(R"(permessage-deflate; server_max_window_bits="12")"),
            "permessage-deflate; server_max_window_bits=12");
  EXPECT_EQ(response_for(R"(permessage-deflate; client_max_window_bits="9")"),
            "permessage-deflate; client_max_window_bits=9");
  // A quoted-pair stands for its character (RFC 7230 §3.2.6).
  EXPECT_EQ(response_for(R"(permessage-deflate; server_max_window_bits="1\3")"),
            "permessage-deflate; server_max_window_bits=13");
  EXPECT_EQ(response_for(R"(permessage-deflate; server_max_window_bits="")"), "<none>");
  EXPECT_EQ(response_for(R"(permessage-deflate; server_max_window_bits=" 12")"), "<none>");
  EXPECT_EQ(response_for(R"(permessage-deflate; server_max_window_bits="12)"), "<none>");
  // A comma inside quotes belongs to the value, not the list: the offer is bad as a whole, and the
  // next one is still found.
  EXPECT_EQ(response_for(R"(permessage-deflate; server_max_window_bits="1,2", permessage-deflate)"),
            "permessage-deflate");
  EXPECT_EQ(response_for(R"(permessage-deflate; x="a, permessage-deflate")"), "<none>");
}

TEST(NegotiateDeflate, FirstOfferUnacceptable) {
  std::optional<DeflateAgreement> a = negotiate_deflate(
      "permessage-deflate; server_max_window_bits=8, "
      "permessage-deflate; server_max_window_bits=10; client_max_window_bits, "
      "permessage-deflate");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->response, "permessage-deflate; server_max_window_bits=10");
  EXPECT_EQ(a->params.server_max_window_bits, 10);

  EXPECT_EQ(response_for("permessage-deflate; unknown_param, permessage-deflate; "
                         "client_no_context_takeover"),
            "permessage-deflate; client_no_context_takeover");
}

TEST(NegotiateDeflate, OtherExtensionsFirst) {
  EXPECT_EQ(response_for("x-webkit-deflate-frame, foo; bar=1; baz=\"q\", "
                         "permessage-deflate; server_no_context_takeover"),
            "permessage-deflate; server_no_context_takeover");
  // Two Sec-WebSocket-Extensions headers joined by the HTTP layer.
  EXPECT_EQ(response_for("mux; max-channels=4, permessage-deflate"), "permessage-deflate");
  EXPECT_EQ(response_for("x-webkit-deflate-frame"), "<none>");
  EXPECT_EQ(response_for("permessage-deflate-x, deflate"), "<none>");
}

TEST(NegotiateDeflate, MalformedOffers) {
  for (std::string_view offer : {
           "permessage-deflate;",
           "permessage-deflate; ;server_no_context_takeover",
           "permessage-deflate; =3",
           "permessage-deflate; server_max_window_bits=",
           "permessage-deflate server_no_context_takeover",
           "permessage-deflate; server_no_context_takeover client_no_context_takeover",
           "permessage-deflate; foo",
           "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
           "permessage-deflate; client_max_window_bits; client_max_window_bits=10",
           "permessage-deflate; server_max_window_bits=10; server_max_window_bits=10",
           "permessage-deflate; server_no_context_takeover=1",
           "permessage-deflate; client_no_context_takeover=\"\"",
           "permessage-deflate; server_max_window_bits",
           "permessage-deflate; server_max_window_bits=16",
           "permessage-deflate; server_max_window_bits=7",
           "permessage-deflate; server_max_window_bits=0",
           "permessage-deflate; server_max_window_bits=015",
           "permessage-deflate; server_max_window_bits=-9",
           "permessage-deflate; server_max_window_bits=abc",
           "permessage-deflate; server_max_window_bits=1 5",
           "permessage-deflate; server_max_window_bits=12.0",
           "permessage-deflate; client_max_window_bits=16",
           "permessage-deflate; client_max_window_bits=7",
           "permessage-deflate; client_max_window_bits=x",
           "permessage-deflate; client_max_window_bits=100000000000000000000",
           "\"permessage-deflate\"",
           "permessage-deflate/1",
           "; permessage-deflate",
       }) {
    EXPECT_FALSE(negotiate_deflate(offer)) << offer;
  }
}

TEST(NegotiateDeflate, EightBitServerWindowIsRefused) {
  EXPECT_FALSE(negotiate_deflate("permessage-deflate; server_max_window_bits=8"));
  EXPECT_FALSE(negotiate_deflate("permessage-deflate; server_max_window_bits=\"8\""));
  // A client may compress with 8 bits: our 15-bit inflate window reads it.
  EXPECT_EQ(response_for("permessage-deflate; client_max_window_bits=8"),
            "permessage-deflate; client_max_window_bits=8");
}

TEST(NegotiateDeflate, Whitespace) {
  EXPECT_EQ(response_for("permessage-deflate;server_no_context_takeover"),
            "permessage-deflate; server_no_context_takeover");
  EXPECT_EQ(response_for("  permessage-deflate ;\tserver_max_window_bits = 11 ; "
                         "client_max_window_bits\t=\t\"10\"  "),
            "permessage-deflate; server_max_window_bits=11; client_max_window_bits=10");
  EXPECT_EQ(response_for("foo ,permessage-deflate , bar"), "permessage-deflate");
  EXPECT_EQ(response_for(" , ,\tpermessage-deflate"), "permessage-deflate");
  EXPECT_EQ(response_for("\tpermessage-deflate\t"), "permessage-deflate");
}

TEST(NegotiateDeflate, NamesIgnoreCase) {
  EXPECT_EQ(response_for("PerMessage-Deflate; Server_No_Context_Takeover"),
            "permessage-deflate; server_no_context_takeover");
}

TEST(NegotiateDeflate, EmptyHeader) {
  EXPECT_FALSE(negotiate_deflate(""));
  EXPECT_FALSE(negotiate_deflate("   "));
  EXPECT_FALSE(negotiate_deflate(",,"));
  EXPECT_FALSE(negotiate_deflate(" , \t, "));
}

// ---- compression ----

std::span<const uint8_t> bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

std::string text(size_t size) {
  static constexpr std::string_view kWords[] = {"{\"jsonrpc\":\"2.0\",",
                                                "\"method\":\"logs.tail\",",
                                                "\"params\":{",
                                                "\"service\":\"aws\"",
                                                ",\"level\":\"info\"",
                                                "},\"id\":",
                                                "42",
                                                "1337",
                                                "}\n"};
  std::string out;
  uint64_t state = 0x2545F4914F6CDD1DULL;
  while (out.size() < size) {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    out += kWords[state % std::size(kWords)];
  }
  out.resize(size);
  return out;
}

std::string noise(size_t size) {
  std::string out(size, '\0');
  uint64_t state = 0x9E3779B97F4A7C15ULL;
  for (char& c : out) {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    c = static_cast<char>(state >> 56);
  }
  return out;
}

// Feeds `payload` split at `cuts` (offsets, ascending), then finishes the message.
InflateStatus inflate_message(Inflater& inflater, std::string_view payload,
                              const std::vector<size_t>& cuts, std::string& out,
                              size_t limit = size_t{64} << 20) {
  size_t start = 0;
  for (size_t cut : cuts) {
    cut = std::min(cut, payload.size());
    if (cut < start) continue;
    InflateStatus s = inflater.feed(bytes(payload.substr(start, cut - start)), out, limit);
    if (s != InflateStatus::kOk) return s;
    start = cut;
  }
  InflateStatus s = inflater.feed(bytes(payload.substr(start)), out, limit);
  if (s != InflateStatus::kOk) return s;
  return inflater.finish(out, limit);
}

std::vector<std::string> sample_messages() {
  return {"Hello",       "",           "Hello", text(3000),
          text(3000),    noise(70000), "",      std::string(1, '\0'),
          text(1 << 20), "Hello"};
}

void round_trip(const DeflateParams& params) {
  using Cuts = std::vector<size_t> (*)(size_t);
  const Cuts splits[] = {
      [](size_t) { return std::vector<size_t>{}; },
      [](size_t) { return std::vector<size_t>{0}; },
      [](size_t) { return std::vector<size_t>{1}; },
      [](size_t) {
        return std::vector<size_t>{2, 3, 4};
      },
      [](size_t) {
        return std::vector<size_t>{100, 101, 5000};
      },
      [](size_t n) { return std::vector<size_t>{n / 2}; },
      [](size_t n) { return std::vector<size_t>{n - 1}; },
  };
  for (Cuts cuts : splits) {
    // A fresh pair per split: with context takeover each payload depends on those before it.
    Deflater sender(params);
    Inflater receiver(params);
    int i = 0;
    for (const std::string& message : sample_messages()) {
      SCOPED_TRACE("message " + std::to_string(i++));
      const std::string payload = sender.compress(message);
      ASSERT_FALSE(payload.empty());
      std::string out = "prefix";
      ASSERT_EQ(inflate_message(receiver, payload, cuts(payload.size()), out), InflateStatus::kOk);
      EXPECT_TRUE(out == "prefix" + message) << out.size();
    }
  }
  // Byte-by-byte feeding, on the smaller messages.
  Deflater sender(params);
  Inflater receiver(params);
  for (const std::string& message : {std::string("Hello"), text(5000), std::string(), text(7)}) {
    const std::string payload = sender.compress(message);
    std::string out;
    for (char c : payload) {
      ASSERT_EQ(receiver.feed(bytes(std::string_view(&c, 1)), out, 1 << 20), InflateStatus::kOk);
    }
    ASSERT_EQ(receiver.finish(out, 1 << 20), InflateStatus::kOk);
    EXPECT_EQ(out, message);
  }
}

TEST(WsDeflate, RoundTripWithContextTakeover) {
  round_trip(DeflateParams{});
}

TEST(WsDeflate, RoundTripWithoutContextTakeover) {
  DeflateParams params;
  params.server_no_context_takeover = true;
  params.client_no_context_takeover = true;
  round_trip(params);
}

TEST(WsDeflate, RoundTripSmallWindows) {
  for (int bits : {9, 10, 12}) {
    SCOPED_TRACE(bits);
    DeflateParams params;
    params.server_max_window_bits = bits;
    round_trip(params);
  }
}

TEST(WsDeflate, ContextTakeoverShrinksRepeats) {
  Deflater keep(DeflateParams{});
  const std::string message = text(2000);
  const std::string first = keep.compress(message);
  EXPECT_LT(keep.compress(message).size(), first.size() / 4);

  DeflateParams params;
  params.server_no_context_takeover = true;
  Deflater fresh(params);
  const std::string a = fresh.compress(message);
  EXPECT_EQ(fresh.compress(message), a);
  EXPECT_EQ(a, first);
}

TEST(WsDeflate, EmptyMessageIsOneZeroByte) {
  Deflater deflater(DeflateParams{});
  EXPECT_EQ(deflater.compress(""), std::string(1, '\0'));
  deflater.compress("something");
  EXPECT_EQ(deflater.compress(""), std::string(1, '\0'));
}

// RFC 7692 §7.2.3.1-§7.2.3.2: "Hello" twice, the second referring back to the first.
TEST(WsDeflate, MatchesRfcExamples) {
  const std::string hello = "\xf2\x48\xcd\xc9\xc9\x07\x00";
  const std::string hello_again = std::string("\xf2\x00\x11\x00\x00", 5);
  Deflater deflater(DeflateParams{});
  EXPECT_EQ(deflater.compress("Hello"), std::string(hello.data(), 7));
  EXPECT_EQ(deflater.compress("Hello"), hello_again);

  Inflater inflater(DeflateParams{});
  std::string out;
  ASSERT_EQ(inflate_message(inflater, std::string_view(hello.data(), 7), {}, out),
            InflateStatus::kOk);
  EXPECT_EQ(out, "Hello");
  out.clear();
  ASSERT_EQ(inflate_message(inflater, hello_again, {}, out), InflateStatus::kOk);
  EXPECT_EQ(out, "Hello");

  // §7.2.3.4: an uncompressed (stored) block.
  out.clear();
  ASSERT_EQ(inflate_message(inflater,
                            std::string("\x00\x05\x00\xfa\xff"
                                        "Hello\x00",
                                        11),
                            {}, out),
            InflateStatus::kOk);
  EXPECT_EQ(out, "Hello");
}

// §7.2.3.3: a sender may end a message with a final (BFINAL) block; with context takeover the
// next message may still refer back into it.
TEST(WsDeflate, FinalBlockThenBackReference) {
  Inflater inflater(DeflateParams{});
  std::string out;
  // BFINAL "Hello", then a padding byte.
  ASSERT_EQ(inflate_message(inflater, std::string("\xf3\x48\xcd\xc9\xc9\x07\x00\x00", 8), {3}, out),
            InflateStatus::kOk);
  EXPECT_EQ(out, "Hello");
  out.clear();
  ASSERT_EQ(inflate_message(inflater, std::string("\xf2\x00\x11\x00\x00", 5), {}, out),
            InflateStatus::kOk);
  EXPECT_EQ(out, "Hello");
  out.clear();
  ASSERT_EQ(inflate_message(inflater, std::string("\xf2\x48\xcd\xc9\xc9\x07\x00", 7), {}, out),
            InflateStatus::kOk);
  EXPECT_EQ(out, "Hello");
}

// ---- interop with plain zlib, i.e. what a browser does ----

// A client-side raw deflate stream: Z_SYNC_FLUSH per message, tail stripped (RFC 7692 §7.2.1).
class RawClientDeflater {
 public:
  explicit RawClientDeflater(int bits) {
    EXPECT_EQ(deflateInit2(&z_, 9, Z_DEFLATED, -bits, 9, Z_DEFAULT_STRATEGY), Z_OK);
  }
  ~RawClientDeflater() { deflateEnd(&z_); }
  RawClientDeflater(const RawClientDeflater&) = delete;
  RawClientDeflater& operator=(const RawClientDeflater&) = delete;

  std::string compress(std::string_view m) {
    std::string out(deflateBound(&z_, m.size()) + 64, '\0');
    z_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(m.data()));
    z_.avail_in = static_cast<uInt>(m.size());
    z_.next_out = reinterpret_cast<Bytef*>(out.data());
    z_.avail_out = static_cast<uInt>(out.size());
    const int rc = deflate(&z_, Z_SYNC_FLUSH);
    EXPECT_TRUE(rc == Z_OK || (m.empty() && rc == Z_BUF_ERROR)) << rc;
    EXPECT_EQ(z_.avail_in, 0u);
    out.resize(out.size() - z_.avail_out);
    if (out.size() >= 4 && out.substr(out.size() - 4) == std::string("\0\0\xff\xff", 4)) {
      out.resize(out.size() - 4);
    }
    if (out.empty()) out.assign(1, '\0');  // zlib writes nothing for a repeated empty flush
    return out;
  }

 private:
  z_stream z_{};
};

// A client-side raw inflate stream with a given window, fed each payload plus the tail.
class RawClientInflater {
 public:
  explicit RawClientInflater(int bits) { EXPECT_EQ(inflateInit2(&z_, -bits), Z_OK); }
  ~RawClientInflater() { inflateEnd(&z_); }
  RawClientInflater(const RawClientInflater&) = delete;
  RawClientInflater& operator=(const RawClientInflater&) = delete;

  // nullopt when zlib refuses the data (e.g. a distance beyond its window).
  std::optional<std::string> inflate_message(std::string payload) {
    payload.append("\0\0\xff\xff", 4);
    std::string out;
    z_.next_in = reinterpret_cast<Bytef*>(payload.data());
    z_.avail_in = static_cast<uInt>(payload.size());
    do {
      char buf[4096];
      z_.next_out = reinterpret_cast<Bytef*>(buf);
      z_.avail_out = sizeof buf;
      const int rc = inflate(&z_, Z_SYNC_FLUSH);
      if (rc != Z_OK && rc != Z_BUF_ERROR) return std::nullopt;
      out.append(buf, sizeof buf - z_.avail_out);
    } while (z_.avail_in != 0 || z_.avail_out == 0);
    return out;
  }

 private:
  z_stream z_{};
};

TEST(WsDeflate, InflatesWhatABrowserSends) {
  // zlib refuses an 8-bit raw deflate window outright, so 9 is the smallest a zlib client uses.
  for (int bits : {9, 12, 15}) {
    SCOPED_TRACE(bits);
    RawClientDeflater client(bits);
    DeflateParams params;
    params.client_max_window_bits = bits;
    Inflater server(params);
    for (const std::string& message : sample_messages()) {
      const std::string payload = client.compress(message);
      std::string out;
      ASSERT_EQ(inflate_message(server, payload, {payload.size() / 3}, out), InflateStatus::kOk);
      EXPECT_TRUE(out == message) << out.size() << " vs " << message.size();
    }
  }
}

TEST(WsDeflate, BrowserInflatesWhatWeSend) {
  for (int bits : {9, 11, 15}) {
    SCOPED_TRACE(bits);
    DeflateParams params;
    params.server_max_window_bits = bits;
    Deflater server(params);
    // A client that holds us to our promised window: zlib refuses distances beyond it.
    RawClientInflater client(bits);
    for (const std::string& message : sample_messages()) {
      std::optional<std::string> out = client.inflate_message(server.compress(message));
      ASSERT_TRUE(out);
      EXPECT_TRUE(*out == message);
    }
  }
}

TEST(WsDeflate, SmallWindowCheckHasTeeth) {
  // Compressed with 15 bits, the repeats at 4 KiB distance do not fit a 9-bit window.
  Deflater server(DeflateParams{});
  RawClientInflater client(9);
  const std::string block = noise(4096);
  EXPECT_FALSE(client.inflate_message(server.compress(block + block)));
}

// ---- limits and damage ----

TEST(WsDeflate, TooBigStopsEarly) {
  const std::string message(10 << 20, 'a');
  Deflater deflater(DeflateParams{});
  const std::string payload = deflater.compress(message);
  ASSERT_LT(payload.size(), 64u << 10);
  constexpr size_t kLimit = 1 << 20;

  Inflater whole(DeflateParams{});
  std::string out;
  EXPECT_EQ(whole.feed(bytes(payload), out, kLimit), InflateStatus::kTooBig);
  EXPECT_LE(out.size(), kLimit + 1);
  EXPECT_GE(out.capacity(), kLimit);      // it did inflate up to the limit
  EXPECT_LT(out.capacity(), 3 * kLimit);  // and not much beyond
  // Final: the window is gone.
  EXPECT_EQ(whole.finish(out, kLimit), InflateStatus::kTooBig);
  EXPECT_EQ(whole.feed(bytes("x"), out, kLimit), InflateStatus::kTooBig);

  // Fed in pieces, with `out` already holding something: only this message's bytes count.
  Inflater pieces(DeflateParams{});
  std::string out2(5000, 'z');
  InflateStatus s = InflateStatus::kOk;
  for (size_t i = 0; i < payload.size() && s == InflateStatus::kOk; i += 100) {
    s = pieces.feed(bytes(std::string_view(payload).substr(i, 100)), out2, kLimit);
    EXPECT_LE(out2.size(), 5000 + kLimit + 1);
  }
  if (s == InflateStatus::kOk) s = pieces.finish(out2, kLimit);
  EXPECT_EQ(s, InflateStatus::kTooBig);
  EXPECT_LE(out2.size(), 5000 + kLimit + 1);
}

TEST(WsDeflate, LimitIsPerMessageAndInclusive) {
  Deflater deflater(DeflateParams{});
  Inflater inflater(DeflateParams{});
  const std::string message = text(600000);
  for (int i = 0; i < 3; ++i) {
    std::string out;
    ASSERT_EQ(inflate_message(inflater, deflater.compress(message), {10}, out, message.size()),
              InflateStatus::kOk);
    EXPECT_TRUE(out == message);
  }
  std::string out;
  EXPECT_EQ(inflate_message(inflater, deflater.compress(message), {}, out, message.size() - 1),
            InflateStatus::kTooBig);

  Inflater empty_only(DeflateParams{});
  out.clear();
  EXPECT_EQ(inflate_message(empty_only, Deflater(DeflateParams{}).compress(""), {}, out, 0),
            InflateStatus::kOk);
  EXPECT_EQ(inflate_message(empty_only, Deflater(DeflateParams{}).compress("a"), {}, out, 0),
            InflateStatus::kTooBig);
}

TEST(WsDeflate, GarbageIsCorrupt) {
  Inflater inflater(DeflateParams{});
  std::string out;
  // 0xff: BTYPE 11, a reserved block type.
  EXPECT_EQ(inflater.feed(bytes(std::string(100, '\xff')), out, 1 << 20), InflateStatus::kCorrupt);
  EXPECT_EQ(inflater.finish(out, 1 << 20), InflateStatus::kCorrupt);

  Inflater noisy(DeflateParams{});
  out.clear();
  EXPECT_EQ(inflate_message(noisy, noise(1000), {}, out), InflateStatus::kCorrupt);

  // A stored block whose lengths disagree.
  Inflater stored(DeflateParams{});
  EXPECT_EQ(inflate_message(stored,
                            std::string("\x00\x05\x00\xfb\xff"
                                        "Hello",
                                        10),
                            {}, out),
            InflateStatus::kCorrupt);
}

TEST(WsDeflate, TruncatedMessageIsCorrupt) {
  Deflater deflater(DeflateParams{});
  const std::string payload = deflater.compress(text(100000));
  Inflater inflater(DeflateParams{});
  std::string out;
  EXPECT_EQ(inflate_message(inflater, payload.substr(0, payload.size() / 2), {}, out),
            InflateStatus::kCorrupt);
}

TEST(WsDeflate, UnusedObjectsAreCheap) {
  // Construction touches no zlib state; destroying unused objects must be fine too.
  std::vector<Inflater> inflaters;
  std::vector<Deflater> deflaters;
  for (int i = 0; i < 100; ++i) {
    inflaters.emplace_back(DeflateParams{});
    deflaters.emplace_back(DeflateParams{});
  }
  EXPECT_EQ(inflaters.size() + deflaters.size(), 200u);
}

}  // namespace
}  // namespace flake::ws
