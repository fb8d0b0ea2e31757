// flake-sidecar entry point: options, the TLS rules of start-up, token, fixtures, then the server
// loop.
#include <cstdio>
#include <cstdlib>

#include "reference/defects/defects.hpp"
#include "reference/defects/seams.hpp"
#include "reference/server/lws_server.hpp"
#include "reference/server/options.hpp"
#include "reference/state/server_state.hpp"
#include "reference/state/token.hpp"

int main(int argc, char** argv) {
  flake::ParsedOptions parsed = flake::parse_options(argc, argv);
  if (parsed.exit_now) return parsed.exit_code;
  if (!parsed.error.empty()) {
    std::fprintf(stderr, "flake-sidecar: %s\n", parsed.error.c_str());
    return 2;
  }
  // The token defects (§4.1) act here, before the server state that holds the switches exists.
  const flake::DefectSet defects = flake::parse_defects(parsed.options.defects);
  // §14.1, before anything is bound.
  const flake::ListenCheck listen =
      flake::check_listen_policy(parsed.options, flake::seam::tls_required_checked(defects),
                                 flake::seam::plaintext_warned(defects));
  if (!listen.error.empty()) {
    std::fprintf(stderr, "flake-sidecar: %s\n", listen.error.c_str());
    return 1;
  }
  if (!listen.warning.empty()) std::fprintf(stderr, "flake-sidecar: %s\n", listen.warning.c_str());
  // §14.2c: a certificate that cannot serve ends the start here, before the start-up line.
  std::optional<flake::tls::ServerTls> tls;
  if (parsed.options.tls_cert) {
    std::string tls_error;
    tls = flake::tls::make_server_tls(*parsed.options.tls_cert, *parsed.options.tls_key,
                                      flake::seam::tls_policy(defects), tls_error);
    if (!tls && !flake::seam::tls_falls_back_to_plaintext(defects)) {
      std::fprintf(stderr, "flake-sidecar: TLS: %s\n", tls_error.c_str());
      return 1;
    }
    if (!tls) parsed.options.tls_cert.reset();
  }
  const char* env_token =
      defects.test(flake::Defect::kEnvTokenIgnored) ? nullptr : std::getenv("FLAKE_SIDECAR_TOKEN");
  flake::TokenResult token = flake::resolve_token(parsed.options.token_file, env_token,
                                                  defects.test(flake::Defect::kTokenFileUntrimmed));
  if (token.blank_file && defects.test(flake::Defect::kBlankTokenFileAccepted)) {
    token = flake::resolve_token(std::nullopt, nullptr);
  }
  if (defects.test(flake::Defect::kTokenTruncated) && token.token.size() > 256) {
    token.token.resize(256);
  }
  if (!token.error.empty()) {
    std::fprintf(stderr, "flake-sidecar: %s\n", token.error.c_str());
    return 1;
  }
  std::string error;
  std::optional<flake::FixtureStore> fixtures =
      flake::FixtureStore::load(parsed.options.fixtures_dir, error);
  if (!fixtures) {
    std::fprintf(stderr, "flake-sidecar: fixtures: %s\n", error.c_str());
    return 1;
  }
  if (token.generated) {
    // Printed once, by design (§4): the operator needs it to connect. Never logged anywhere else.
    std::printf("flake-sidecar token: %s\n", token.token.c_str());
    if (defects.test(flake::Defect::kGeneratedTokenTwice)) {
      std::printf("flake-sidecar token: %s\n", token.token.c_str());
    }
  }
  flake::ServerState state(std::move(parsed.options), std::move(*fixtures), std::move(token.token));
  return flake::run_server(state, tls ? &*tls : nullptr);
}
