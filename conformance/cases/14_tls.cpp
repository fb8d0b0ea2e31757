// §14: TLS. When a sidecar must serve it (14.1), its configuration (14.2), the handshake and the
// port (14.3). Each case starts a sidecar of its own with a chain made for the case at run time
// (CA -> intermediate -> certificate for 127.0.0.1), and trusts that CA alone.

#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cctype>
#include <memory>
#include <string>
#include <vector>

#include "conformance/cases/case_util.hpp"
#include "conformance/cases/cases.hpp"
#include "conformance/cases/rest_case_util.hpp"
#include "conformance/client/http_client.hpp"
#include "conformance/client/socket.hpp"
#include "conformance/client/tls_certs.hpp"
#include "conformance/client/tls_client.hpp"

namespace flake::conform {
using namespace rest;  // the shared REST helpers (rest_case_util.hpp)

namespace {

// Protocol versions below TLS 1.2, as OpenSSL numbers them.
constexpr int kTls10 = 0x0301;
constexpr int kTls11 = 0x0302;

std::unique_ptr<ThrowawayPki> make_pki() {
  std::string error;
  std::unique_ptr<ThrowawayPki> pki = ThrowawayPki::create(error);
  if (!pki) fail_case("a throwaway certificate chain for the case", error);
  return pki;
}

std::shared_ptr<const TlsClient> trusting(const ThrowawayPki& pki) {
  TlsClientOptions options;
  options.enabled = true;
  options.ca_file = pki.ca_file();
  std::string error;
  std::shared_ptr<const TlsClient> client = TlsClient::create(options, error);
  if (!client) fail_case("a TLS client trusting the case's CA", error);
  return client;
}

// A sidecar of the case serving TLS with a chain of its own (§14.2's optional options).
struct TlsSidecar {
  std::unique_ptr<ThrowawayPki> pki;
  StartAttempt start;
  Url url;
  std::shared_ptr<const TlsClient> trust;

  TlsConnect tls() const { return TlsConnect{.client = trust}; }
};

std::vector<std::string> tls_options(const ThrowawayPki& pki) {
  return {"--tls-cert", pki.chain_file(), "--tls-key", pki.key_file()};
}

// Skipped when the start fails: --tls-cert and --tls-key are optional (§14.2), and a sidecar
// that does not accept them treats them as unknown (§1.8d). A start that listens is the case's.
TlsSidecar start_tls_sidecar(CaseContext& ctx, std::string_view what) {
  TlsSidecar s;
  s.pki = make_pki();
  StartSpec spec;
  spec.extra = tls_options(*s.pki);
  s.start = start_own_sidecar(ctx, spec, what);
  if (!s.start.url) {
    if (s.start.result.error == StartError::kNotTls)
      fail_case("a wss:// start-up line (14.2a)", s.start.result.message);
    skip_case(
        "the sidecar did not start with --tls-cert and --tls-key (optional options of 14.2): " +
        s.start.result.message + "; its output:\n" + s.start.process->output_tail());
  }
  s.url = *s.start.url;
  s.trust = trusting(*s.pki);
  return s;
}

// A TLS connection to `s` as `tls` says; the case fails when the handshake does.
TcpSocket connect_tls(CaseContext& ctx, const TlsSidecar& s, const TlsConnect& tls,
                      std::string_view what) {
  TcpSocket socket;
  if (!socket.connect(s.url.host, s.url.port, ctx.deadline(), tls)) {
    fail_case(std::string(what) + ": a TLS connection trusting the case's CA", socket.error());
  }
  return socket;
}

// A handshake as `tls` says must not complete; the case fails with what it negotiated if it does.
void require_handshake_refused(CaseContext& ctx, const TlsSidecar& s, const TlsConnect& tls,
                               std::string_view expected) {
  TcpSocket socket;
  if (socket.connect(s.url.host, s.url.port, ctx.deadline(), tls)) {
    fail_case(std::string(expected), "it completed: " + tls_summary(*socket.tls_info()));
  }
}

// GET `path` over a TLS connection as `tls` says, Host as given or the URL's authority.
HttpResponse https_get(CaseContext& ctx, const TlsSidecar& s, const std::string& path,
                       const TlsConnect& tls, std::optional<std::string> host = std::nullopt) {
  HttpRequest request = get(path);
  request.tls = tls;
  request.host = std::move(host);
  return http_request(with_path(s.url, path, "https"), request, ctx.deadline(), &ctx.log(),
                      ctx.next_connection_number());
}

// The DER of every certificate of a PEM file, in the file's order.
std::vector<std::string> pem_chain_der(const std::string& path) {
  std::vector<std::string> out;
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_file(path.c_str(), "r"), BIO_free);
  while (bio) {
    std::unique_ptr<X509, decltype(&X509_free)> cert(
        PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr), X509_free);
    if (!cert) break;
    unsigned char* der = nullptr;
    const int length = i2d_X509(cert.get(), &der);
    if (length <= 0) break;
    out.emplace_back(reinterpret_cast<const char*>(der), static_cast<std::size_t>(length));
    OPENSSL_free(der);
  }
  return out;
}

bool contains_folded(std::string_view text, std::string_view word) {
  std::string lower(text);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower.find(word) != std::string::npos;
}

// The process's output once it holds `needle` (standard error may arrive after standard output),
// or after a second.
std::string output_with(SidecarProcess& process, std::string_view needle, bool fold_case = false) {
  return process.wait_output(
      [&](std::string_view out) {
        return fold_case ? contains_folded(out, needle)
                         : out.find(needle) != std::string_view::npos;
      },
      std::chrono::milliseconds(1000));
}

}  // namespace

void add_s14_tls_cases(Catalog& c) {
  c.explain({.rule = "14.4a",
             .why = Why::Gap,
             .reason = "Client mode (13) plays a plain-text sidecar; a client case needs the "
                       "scripted sidecar to serve TLS with a certificate the client must refuse."});
  // §14.1: a non-loopback address without a certificate.
  c.add({.id = "14.1/1",
         .tier = Tier::Must,
         .requirement = "Asked to listen on a non-loopback address (--host 192.0.2.1, which no "
                        "machine owns) without a certificate, the sidecar MUST exit with a "
                        "non-zero status before its start-up line and write \"TLS required\" to "
                        "standard error. Skipped when it does not start with --host 127.0.0.1.",
         .rules = {"14.1a"},
         .budget = std::chrono::milliseconds(20000),
         .run = [](CaseContext& ctx) {
           StartSpec loopback;
           loopback.extra = {"--host", "127.0.0.1"};
           loopback.without_tls = true;
           const StartAttempt first = start_own_sidecar(ctx, loopback, "started with --host");
           if (!first.url) {
             skip_case(
                 "the sidecar does not start with --host 127.0.0.1 (the optional option "
                 "of 14.2): " +
                 first.result.message);
           }
           first.process->stop();
           StartSpec remote;
           remote.extra = {"--host", "192.0.2.1"};
           remote.without_tls = true;
           remote.timeout = std::chrono::milliseconds(5000);
           const StartAttempt s = start_own_sidecar(ctx, remote, "started with --host 192.0.2.1");
           require_start_refused(s, "--host 192.0.2.1 without a certificate");
           const std::string output = output_with(*s.process, "TLS required");
           require(output.find("TLS required") != std::string::npos,
                   "\"TLS required\" on standard error", output.empty() ? "(no output)" : output);
           return pass();
         }});
  c.add({.id = "14.1/2",
         .tier = Tier::Must,
         .requirement = "With the reference's explicit opt-out (--insecure-plaintext) on a "
                        "non-loopback address, the sidecar MUST warn on standard error that the "
                        "token crosses the network unencrypted. The reference only (--reference): "
                        "other sidecars name their opt-out themselves.",
         .rules = {"14.1b"},
         .budget = std::chrono::milliseconds(15000),
         .run = [](CaseContext& ctx) {
           if (!ctx.target().composes_command) {
             skip_case(
                 "the opt-out is implementation-specific (14.1); the suite knows only the "
                 "reference's --insecure-plaintext (--reference)");
           }
           StartSpec spec;
           spec.extra = {"--host", "192.0.2.1", "--insecure-plaintext"};
           spec.without_tls = true;
           spec.timeout = std::chrono::milliseconds(5000);
           const StartAttempt s = start_own_sidecar(ctx, spec, "--host 192.0.2.1 opted out");
           // Binding an address the machine lacks then fails; the warning comes before it.
           if (s.process->running()) s.process->stop();
           const std::string output = output_with(*s.process, "unencrypted", true);
           require(contains_folded(output, "unencrypted"),
                   "a warning on standard error that the token crosses the network unencrypted",
                   output.empty() ? "(no output)" : output);
           return pass();
         }});
  // §14.2: configuration.
  c.add({.id = "14.2/1",
         .tier = Tier::Must,
         .requirement = "With --tls-cert and --tls-key the start-up line MUST name wss, and the "
                        "port MUST serve the WebSocket endpoint (upgrade, auth.authenticate, "
                        "system.ping) and the HTTP endpoints (GET /api/v1/health) over TLS.",
         .rules = {"14.2a", "14.3e"},
         .run = [](CaseContext& ctx) {
           const TlsSidecar s = start_tls_sidecar(ctx, "a TLS sidecar of the case");
           require(s.url.scheme == "wss", "the start-up line names wss://", s.url.text());
           auto rpc = ctx.client();
           ConnectOptions options = ctx.options();
           options.tls = s.tls();
           require_upgraded(rpc->connect(s.url, options), "wss upgrade");
           const Incoming auth =
               rpc->authenticate(ctx.target().token, client_info(), ctx.timeout());
           require_result(auth, answer_id(auth), "auth.authenticate over TLS");
           ctx.require_usable(*rpc, "authentication over TLS");
           const HttpResponse health = https_get(ctx, s, "/api/v1/health", s.tls());
           require_status(health, 200, "GET /api/v1/health over TLS");
           return pass();
         }});
  c.add({.id = "14.2/2",
         .tier = Tier::Must,
         .requirement = "The TLS handshake MUST carry the whole configured chain: the certificate, "
                        "then the intermediate, in the order of the --tls-cert file.",
         .rules = {"14.2b"},
         .run = [](CaseContext& ctx) {
           const TlsSidecar s = start_tls_sidecar(ctx, "a TLS sidecar of the case");
           const TcpSocket socket = connect_tls(ctx, s, s.tls(), "the chain");
           const std::vector<std::string> configured = pem_chain_der(s.pki->chain_file());
           const std::vector<std::string>& sent = socket.tls_info()->peer_chain_der;
           require(sent == configured,
                   std::to_string(configured.size()) + " certificates, as in the --tls-cert file",
                   std::to_string(sent.size()) +
                       (sent.size() == configured.size() ? " other certificates" : ""));
           return pass();
         }});
  c.add(
      {.id = "14.2/3",
       .tier = Tier::Must,
       .requirement = "With a --tls-cert file that does not exist, or a --tls-key that does not "
                      "belong to the certificate, the sidecar MUST exit with a non-zero status "
                      "before its start-up line.",
       .rules = {"14.2c"},
       .budget = std::chrono::milliseconds(25000),
       .run = [](CaseContext& ctx) {
         TlsSidecar good = start_tls_sidecar(ctx, "a TLS sidecar of the case");
         good.start.process->stop();
         StartSpec missing;
         missing.extra = {"--tls-cert", good.pki->dir() + "/missing.pem", "--tls-key",
                          good.pki->key_file()};
         missing.timeout = std::chrono::milliseconds(5000);
         require_start_refused(start_own_sidecar(ctx, missing, "a missing --tls-cert"),
                               "--tls-cert naming a missing file");
         const std::unique_ptr<ThrowawayPki> other = make_pki();
         StartSpec mismatched;
         mismatched.extra = {"--tls-cert", good.pki->chain_file(), "--tls-key", other->key_file()};
         mismatched.timeout = std::chrono::milliseconds(5000);
         require_start_refused(start_own_sidecar(ctx, mismatched, "a key of another chain"),
                               "--tls-key of another certificate");
         return pass();
       }});
  c.add({.id = "14.2/4",
         .tier = Tier::Should,
         .requirement = "With TLS the sidecar SHOULD write its certificate's SHA-256 fingerprint "
                        "to standard error: \"sha256 \" and 32 upper-case hex octets with colons.",
         .rules = {"14.2d"},
         .run = [](CaseContext& ctx) {
           const TlsSidecar s = start_tls_sidecar(ctx, "a TLS sidecar of the case");
           const std::string expected = "sha256 " + format_fingerprint(s.pki->leaf_fingerprint());
           const std::string output = output_with(*s.start.process, expected);
           require(output.find(expected) != std::string::npos, "\"" + expected + "\"",
                   output.empty() ? "(no output)" : output);
           return pass();
         }});
  // §14.3: the handshake and the port.
  c.add({.id = "14.3/1",
         .tier = Tier::Must,
         .requirement = "The sidecar MUST NOT complete a handshake below TLS 1.2: a client "
                        "offering TLS 1.0 and 1.1 only is refused.",
         .rules = {"14.3a"},
         .run = [](CaseContext& ctx) {
           const TlsSidecar s = start_tls_sidecar(ctx, "a TLS sidecar of the case");
           TlsConnect old = s.tls();
           old.min_version = kTls10;
           old.max_version = kTls11;
           require_handshake_refused(ctx, s, old, "the handshake fails");
           return pass();
         }});
  c.add({.id = "14.3/2",
         .tier = Tier::Should,
         .requirement = "The sidecar SHOULD negotiate TLS 1.3 with a client that offers it.",
         .rules = {"14.3b"},
         .run = [](CaseContext& ctx) {
           const TlsSidecar s = start_tls_sidecar(ctx, "a TLS sidecar of the case");
           const TcpSocket socket = connect_tls(ctx, s, s.tls(), "TLS 1.2 and 1.3 offered");
           const TlsInfo& info = *socket.tls_info();
           require(info.version == kTls13, "TLSv1.3", info.version_name);
           return pass();
         }});
  c.add({.id = "14.3/3",
         .tier = Tier::Must,
         .requirement = "Offered ALPN h2 and http/1.1, the sidecar MUST select http/1.1.",
         .rules = {"14.3c"},
         .run = [](CaseContext& ctx) {
           const TlsSidecar s = start_tls_sidecar(ctx, "a TLS sidecar of the case");
           TlsConnect both = s.tls();
           both.alpn = std::vector<std::string>{"h2", "http/1.1"};
           const TcpSocket socket = connect_tls(ctx, s, both, "ALPN h2, http/1.1");
           const std::string& selected = socket.tls_info()->alpn;
           require(selected == "http/1.1", "ALPN http/1.1 selected",
                   selected.empty() ? "no protocol selected" : selected);
           return pass();
         }});
  c.add({.id = "14.3/4",
         .tier = Tier::Must,
         .requirement = "Offered ALPN without http/1.1 (h2 only), the sidecar MUST end the "
                        "handshake; a client offering no ALPN gets HTTP/1.1 all the same.",
         .rules = {"14.3d"},
         .run = [](CaseContext& ctx) {
           const TlsSidecar s = start_tls_sidecar(ctx, "a TLS sidecar of the case");
           TlsConnect h2 = s.tls();
           h2.alpn = std::vector<std::string>{"h2"};
           require_handshake_refused(ctx, s, h2, "the handshake fails (no_application_protocol)");
           TlsConnect none = s.tls();
           none.alpn = std::vector<std::string>{};
           require_status(https_get(ctx, s, "/api/v1/health", none), 200,
                          "GET /api/v1/health without ALPN");
           return pass();
         }});
  c.add({.id = "14.3/5",
         .tier = Tier::Must,
         .requirement = "A plain-text HTTP request to the TLS port MUST get no HTTP response, and "
                        "the connection MUST be closed within 5 s.",
         .rules = {"14.3f"},
         .budget = std::chrono::milliseconds(15000),
         .run = [](CaseContext& ctx) {
           const TlsSidecar s = start_tls_sidecar(ctx, "a TLS sidecar of the case");
           TcpSocket socket;
           if (!socket.connect(s.url.host, s.url.port, ctx.deadline(),
                               TlsConnect{.use = TlsConnect::Use::kPlain})) {
             fail_case("a TCP connection to the TLS port", socket.error());
           }
           const std::string request =
               "GET /api/v1/health HTTP/1.1\r\nHost: " + s.url.authority + "\r\n\r\n";
           require(socket.send_all(request, ctx.deadline()) == IoStatus::Ok,
                   "the plain request is sent", socket.error());
           const auto sent = Clock::now();
           const Deadline end = sent + std::chrono::milliseconds(5000) + kSlack;
           std::string received;
           char buffer[4096];
           IoStatus status = IoStatus::Ok;
           while (status == IoStatus::Ok) {
             const RecvResult r = socket.recv_some(buffer, sizeof buffer, end);
             status = r.status;
             received.append(buffer, r.bytes);
           }
           require(received.find("HTTP/") == std::string::npos, "no HTTP response",
                   received.substr(0, received.find("\r\n")));
           require(status != IoStatus::Timeout, "the connection closed within 5 s",
                   "still open " + std::to_string(ms_between(sent, Clock::now())) + " ms later");
           return pass();
         }});
  c.add({.id = "14.3/6",
         .tier = Tier::Must,
         .requirement = "Over TLS, a request with a foreign Host (evil.example:PORT) MUST get 403 "
                        "as in plain text (4.3).",
         .rules = {"14.3g"},
         .run = [](CaseContext& ctx) {
           const TlsSidecar s = start_tls_sidecar(ctx, "a TLS sidecar of the case");
           const HttpResponse r = https_get(ctx, s, "/api/v1/health", s.tls(),
                                            "evil.example:" + std::to_string(s.url.port));
           require_status(r, 403, "GET /api/v1/health over TLS with Host: evil.example:PORT");
           return pass();
         }});
}

}  // namespace flake::conform
