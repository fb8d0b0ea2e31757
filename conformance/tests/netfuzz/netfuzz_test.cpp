// Network fuzzer: a seed reproduces its bytes, every family generates traffic, reproducer files
// round-trip, and a burst puts exactly the scripted bytes on the wire.
#include "conformance/netfuzz/exec.hpp"
#include "conformance/netfuzz/generators.hpp"
#include "conformance/netfuzz/options.hpp"
#include "conformance/netfuzz/reproducer.hpp"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <set>
#include <thread>

namespace flake::conform::netfuzz {
namespace {

ExecTarget fixed_target() {
  ExecTarget t;
  t.host = "127.0.0.1";
  t.authority = "127.0.0.1:9123";
  t.token = "tok-en";
  return t;
}

// Every byte a burst would send, connection by connection, step by step.
std::vector<std::string> flatten(const Burst& burst) {
  const ExecTarget t = fixed_target();
  std::vector<std::string> out;
  for (const ConnScript& c : burst.conns) {
    std::string all = c.label + (c.hold ? " [hold]" : "") + "\n";
    for (const Step& s : c.steps) {
      all += std::string(to_string(s.kind)) + " " + std::to_string(s.delay_ms) + " " + s.text + ":";
      // Repeat segments by size only: a full expansion of an 80 MiB body is pointless here.
      for (const Segment& seg : s.segments) {
        all += seg.kind == SegmentKind::Repeat
                   ? "<" + seg.bytes + "x" + std::to_string(seg.count) + ">"
                   : expand({seg}, t);
      }
      all += "\n";
    }
    out.push_back(all);
  }
  return out;
}

TEST(NetfuzzGenerators, SameSeedSameBytes) {
  const GenContext context;
  for (std::uint64_t index = 0; index < 60; ++index) {
    const Burst a = generate_burst(42, index, context, {});
    const Burst b = generate_burst(42, index, context, {});
    EXPECT_EQ(a.family, b.family) << index;
    EXPECT_EQ(flatten(a), flatten(b)) << "burst " << index;
  }
}

TEST(NetfuzzGenerators, OtherSeedOtherBytes) {
  const GenContext context;
  int differing = 0;
  for (std::uint64_t index = 0; index < 20; ++index) {
    if (flatten(generate_burst(1, index, context, {})) !=
        flatten(generate_burst(2, index, context, {}))) {
      ++differing;
    }
  }
  EXPECT_GE(differing, 15);
}

TEST(NetfuzzGenerators, EveryFamilyComesUpInEachCycle) {
  const auto families = all_families();
  for (std::uint64_t cycle = 0; cycle < 3; ++cycle) {
    std::set<Family> seen;
    for (std::size_t i = 0; i < families.size(); ++i) {
      seen.insert(burst_family(7, cycle * families.size() + i, families));
    }
    EXPECT_EQ(seen.size(), families.size()) << "cycle " << cycle;
  }
  const std::vector<Family> only{Family::Http};
  EXPECT_EQ(generate_burst(7, 5, GenContext{}, only).family, "http");
}

TEST(NetfuzzGenerators, EveryFamilyGeneratesTraffic) {
  const GenContext context;
  for (const Family family : all_families()) {
    Rng rng(99);
    std::uint64_t bytes = 0;
    std::set<std::vector<std::string>> variants;
    for (int i = 0; i < 40; ++i) {
      const ConnScript conn = generate_connection(family, rng, context);
      EXPECT_FALSE(conn.label.empty()) << to_string(family);
      Burst one;
      one.conns.push_back(conn);
      variants.insert(flatten(one));
      for (const Step& s : conn.steps) bytes += wire_size(s.segments, 14, 6);
      for (const Step& s : conn.steps) {
        if (s.kind == StepKind::Upgrade || s.kind == StepKind::Authenticate) bytes += 1;
      }
    }
    EXPECT_GT(bytes, 0u) << to_string(family);
    EXPECT_GE(variants.size(), 10u) << to_string(family) << ": the traffic hardly varies";
  }
}

// Searches a family's output for a byte pattern, as a proof that a variant is really produced.
bool family_sends(Family family, const std::function<bool(const std::string&)>& match) {
  Rng rng(3);
  for (int i = 0; i < 300; ++i) {
    const ConnScript conn = generate_connection(family, rng, GenContext{});
    for (const Step& s : conn.steps) {
      std::string small;
      for (const Segment& seg : s.segments) {
        if (seg.kind != SegmentKind::Repeat) small += expand({seg}, fixed_target());
      }
      if (match(small)) return true;
    }
  }
  return false;
}

TEST(NetfuzzGenerators, VariantsReachTheWire) {
  auto has = [](std::string needle) {
    return [needle](const std::string& s) { return s.find(needle) != std::string::npos; };
  };
  // A 64-bit length with its most significant bit set: 0x7F length byte, then 0x80....
  EXPECT_TRUE(family_sends(Family::Framing, [](const std::string& s) {
    for (std::size_t i = 1; i + 1 < s.size(); ++i) {
      if ((static_cast<unsigned char>(s[i]) & 0x7F) == 127 &&
          (static_cast<unsigned char>(s[i + 1]) & 0x80) != 0) {
        return true;
      }
    }
    return false;
  }));
  EXPECT_TRUE(family_sends(Family::Http, has("Transfer-Encoding: chunked\r\nContent-Length")));
  EXPECT_TRUE(family_sends(Family::Http, has("ffffffffffffffff1")));
  EXPECT_TRUE(family_sends(Family::Http, has("\r\n  b\r\n")));  // obs-fold
  EXPECT_TRUE(family_sends(Family::Http, has("Bearer tok-en")));
  EXPECT_TRUE(family_sends(Family::MsgPack, [](const std::string&) { return true; }));
  EXPECT_TRUE(family_sends(Family::Slowloris, has("Host: 127.0.0.1:9123")));
}

TEST(NetfuzzGenerators, MutatedRequestsCoverTheShapes) {
  Rng rng(5);
  bool deep = false;
  bool batch = false;
  bool huge_id = false;
  for (int i = 0; i < 600; ++i) {
    const std::string m = mutated_request(rng);
    deep = deep || m.find(std::string(65, '[')) != std::string::npos;
    batch = batch || (m.size() > 2 && m[0] == '[' && m.find("},{") != std::string::npos);
    huge_id = huge_id || m.find("1e400") != std::string::npos;
  }
  EXPECT_TRUE(deep);
  EXPECT_TRUE(batch);
  EXPECT_TRUE(huge_id);
}

TEST(NetfuzzReproducer, RoundTripKeepsEveryByte) {
  for (std::uint64_t index = 0; index < 12; ++index) {
    Reproducer r;
    r.seed = 11;
    r.failure = "no answer";
    r.max_message_bytes = 1 << 20;
    r.burst = generate_burst(11, index, GenContext{1 << 20, "/rpc"}, {});
    std::string error;
    const auto back = parse_reproducer(reproducer_text(r), error);
    ASSERT_TRUE(back) << error;
    EXPECT_EQ(back->seed, 11u);
    EXPECT_EQ(back->failure, "no answer");
    EXPECT_EQ(back->burst.index, index);
    EXPECT_EQ(back->burst.family, r.burst.family);
    // Runs of one byte may be re-cut into repeats: compare what goes on the wire.
    ASSERT_EQ(back->burst.conns.size(), r.burst.conns.size());
    for (std::size_t c = 0; c < r.burst.conns.size(); ++c) {
      const auto& want = r.burst.conns[c];
      const auto& got = back->burst.conns[c];
      EXPECT_EQ(got.hold, want.hold);
      ASSERT_EQ(got.steps.size(), want.steps.size());
      for (std::size_t s = 0; s < want.steps.size(); ++s) {
        EXPECT_EQ(got.steps[s].kind, want.steps[s].kind);
        EXPECT_EQ(got.steps[s].text, want.steps[s].text);
        EXPECT_EQ(got.steps[s].delay_ms, want.steps[s].delay_ms);
        if (wire_size(want.steps[s].segments, 0, 0) < (4u << 20)) {
          EXPECT_EQ(expand(got.steps[s].segments, fixed_target()),
                    expand(want.steps[s].segments, fixed_target()));
        } else {
          EXPECT_EQ(wire_size(got.steps[s].segments, 1, 1),
                    wire_size(want.steps[s].segments, 1, 1));
        }
      }
    }
  }
}

TEST(NetfuzzReproducer, RejectsBrokenFiles) {
  std::string error;
  EXPECT_FALSE(parse_reproducer("[]", error));
  EXPECT_FALSE(parse_reproducer(R"({"format":"other"})", error));
  EXPECT_FALSE(parse_reproducer(
      R"({"format":"flake-netfuzz-reproducer/1","connections":[{"steps":[{"op":"explode"}]}]})",
      error));
  EXPECT_NE(error.find("explode"), std::string::npos);
  EXPECT_FALSE(parse_reproducer(
      R"({"format":"flake-netfuzz-reproducer/1","connections":[{"steps":[{"op":"send","data":[{"hex":"zz"}]}]}]})",
      error));
}

TEST(NetfuzzOptions, SubcommandsParse) {
  const char* fuzz[] = {"flake-conform", "fuzz", "--reference", "--seconds", "5",
                        "--seed",        "9",    "--families",  "http,utf8"};
  auto p = parse_fuzz_options(9, const_cast<char**>(fuzz), "bin");
  EXPECT_EQ(p.error, "");
  EXPECT_EQ(p.options.seed, 9u);
  EXPECT_EQ(p.options.seconds, 5);
  EXPECT_EQ(p.options.families.size(), 2u);
  const char* replay[] = {"flake-conform",        "replay",  "f.json",
                          "ws://127.0.0.1:1/rpc", "--token", "t"};
  p = parse_fuzz_options(6, const_cast<char**>(replay), "bin");
  EXPECT_EQ(p.error, "");
  EXPECT_TRUE(p.options.replay);
  EXPECT_EQ(p.options.reproducer_in, "f.json");
  const char* bad[] = {"flake-conform", "fuzz", "--reference", "--families", "nope"};
  EXPECT_NE(parse_fuzz_options(5, const_cast<char**>(bad), "bin").error, "");
  const char* none[] = {"flake-conform", "fuzz", "--seconds", "3"};
  EXPECT_NE(parse_fuzz_options(4, const_cast<char**>(none), "bin").error, "");
  // "--opt=VALUE" as everywhere else in flake-conform.
  const char* joined[] = {"flake-conform", "fuzz",     "--reference",
                          "--seconds=5",   "--seed=9", "--families=http"};
  p = parse_fuzz_options(6, const_cast<char**>(joined), "bin");
  EXPECT_EQ(p.error, "");
  EXPECT_EQ(p.options.seed, 9u);
  EXPECT_EQ(p.options.seconds, 5);
  EXPECT_EQ(p.options.families.size(), 1u);
  const char* flag_value[] = {"flake-conform", "replay", "f.json", "--reference=1"};
  EXPECT_EQ(parse_fuzz_options(4, const_cast<char**>(flag_value), "bin").error,
            "--reference takes no value");
}

// A TCP server that records every byte of one connection (bounded wait, loopback only).
class Recorder {
 public:
  Recorder() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::listen(fd_, 4);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 5000) <= 0) return;
      const int conn = ::accept(fd_, nullptr, nullptr);
      char buf[4096];
      for (;;) {
        pollfd q{conn, POLLIN, 0};
        if (::poll(&q, 1, 5000) <= 0) break;
        const ssize_t n = ::recv(conn, buf, sizeof buf, 0);
        if (n <= 0) break;
        got_.append(buf, static_cast<std::size_t>(n));
      }
      ::close(conn);
    });
  }
  ~Recorder() {
    if (thread_.joinable()) thread_.join();
    ::close(fd_);
  }
  std::uint16_t port() const { return port_; }
  const std::string& wait() {
    thread_.join();
    return got_;
  }

 private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::thread thread_;
  std::string got_;
};

TEST(NetfuzzExec, PutsTheScriptedBytesOnTheWire) {
  Recorder server;
  ExecTarget target = fixed_target();
  target.port = server.port();
  target.op_timeout = std::chrono::milliseconds(2000);
  Burst burst;
  ConnScript conn;
  conn.steps.push_back(send({bytes("POST / HTTP/1.1\r\nHost: "), authority(), bytes("\r\nX: "),
                             token(), repeat("ab", 3)}));
  conn.steps.push_back(trickle({bytes("xyz")}, 1));
  conn.steps.push_back(simple(StepKind::Close));
  burst.conns.push_back(conn);
  const BurstOutcome out = run_burst(burst, target, deadline_in(std::chrono::milliseconds(4000)));
  EXPECT_EQ(server.wait(), "POST / HTTP/1.1\r\nHost: 127.0.0.1:9123\r\nX: tok-enabababxyz");
  ASSERT_EQ(out.conns.size(), 1u);
  EXPECT_EQ(out.conns[0].end, "closed by us");
  EXPECT_TRUE(out.held.empty());
}

}  // namespace
}  // namespace flake::conform::netfuzz
