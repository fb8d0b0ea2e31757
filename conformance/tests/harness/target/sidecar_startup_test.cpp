// Tests of sidecar_startup: the token file's life, reading tokens back, random tokens, and
// starting a stand-in sidecar (/bin/sh) that listens, exits early or cannot start.
#include "conformance/harness/target/sidecar_startup.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

namespace flake::conform {
namespace {

bool exists(const std::string& path) {
  return ::access(path.c_str(), F_OK) == 0;
}

std::string contents(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// A file in a fresh directory of its own, removed with it.
class ScratchDir : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/flake-startup-test-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    dir_ = pattern;
  }
  void TearDown() override {
    for (const auto& f : written_) ::unlink(f.c_str());
    ::rmdir(dir_.c_str());
  }
  std::string file(const std::string& name, const std::string& body) {
    const std::string path = dir_ + "/" + name;
    std::ofstream(path) << body;
    written_.push_back(path);
    return path;
  }
  std::string dir_;
  std::vector<std::string> written_;
};

using TokenFile = ScratchDir;

TEST_F(TokenFile, HoldsTheTokenAndGoesWithItsOwner) {
  ::setenv("TMPDIR", dir_.c_str(), 1);
  std::string error;
  std::string path;
  {
    auto file = write_token_file("flake-test-token", "abc123", error);
    ::unsetenv("TMPDIR");
    ASSERT_TRUE(file) << error;
    path = file->path();
    EXPECT_EQ(path.rfind(dir_ + "/flake-test-token-", 0), 0u) << path;
    EXPECT_EQ(contents(path), "abc123\n");
    struct stat st {};
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);  // the token is a secret
  }
  EXPECT_FALSE(exists(path));
}

TEST_F(TokenFile, MovedFileIsRemovedOnceByTheNewOwner) {
  ::setenv("TMPDIR", dir_.c_str(), 1);
  std::string error;
  auto written = write_token_file("flake-test-token", "t", error);
  ::unsetenv("TMPDIR");
  ASSERT_TRUE(written) << error;
  const std::string path = written->path();
  TempFile owner;
  {
    TempFile moved = std::move(*written);
    written.reset();
    EXPECT_TRUE(exists(path));
    owner = std::move(moved);
  }
  EXPECT_TRUE(exists(path));
  EXPECT_EQ(owner.path(), path);
  owner = TempFile();
  EXPECT_FALSE(exists(path));
}

TEST(TokenFileErrors, UncreatableFileIsAnError) {
  ::setenv("TMPDIR", "/nonexistent-flake-dir", 1);
  std::string error;
  const auto file = write_token_file("flake-test-token", "t", error);
  ::unsetenv("TMPDIR");
  EXPECT_FALSE(file);
  EXPECT_EQ(error, "cannot create a temporary file");
}

using ReadToken = ScratchDir;

TEST_F(ReadToken, FirstLineWithoutSurroundingBlanks) {
  std::string error;
  EXPECT_EQ(read_token_file(file("a", " \tsecret-1 \t\r\nsecond line\n"), error), "secret-1");
  EXPECT_EQ(read_token_file(file("b", "inner blank stays"), error), "inner blank stays");
  EXPECT_EQ(error, "");
}

TEST_F(ReadToken, EmptyOrBlankFileHoldsNoToken) {
  for (const char* body : {"", "\n", "  \t\r\nsecond line\n"}) {
    const std::string path = file("empty", body);
    std::string error;
    EXPECT_EQ(read_token_file(path, error), "");
    EXPECT_EQ(error, path + " holds no token");
  }
}

TEST_F(ReadToken, MissingFileCannotBeRead) {
  const std::string path = dir_ + "/missing";
  std::string error;
  EXPECT_EQ(read_token_file(path, error), "");
  EXPECT_EQ(error, "cannot read " + path);
}

TEST(RandomToken, FortyEightHexDigitsAndNeverTheSame) {
  std::set<std::string> seen;
  for (int i = 0; i < 50; ++i) {
    const std::string token = random_token();
    ASSERT_EQ(token.size(), 48u);
    EXPECT_EQ(token.find_first_not_of("0123456789abcdef"), std::string::npos) << token;
    seen.insert(token);
  }
  EXPECT_EQ(seen.size(), 50u);
}

TEST(SidecarCommands, ReferenceElidesTheTokenFileAndAppendsArguments) {
  const std::string extra[] = {"--defect", "x"};
  const SidecarCommand c = reference_command("/bin/sidecar", "/tmp/tok", extra);
  EXPECT_EQ(c.argv, (std::vector<std::string>{"/bin/sidecar", "--port", "0", "--conformance",
                                              "--token-file", "/tmp/tok", "--defect", "x"}));
  EXPECT_EQ(c.description,
            "/bin/sidecar --port 0 --conformance --token-file <temporary file> --defect x");
  EXPECT_EQ(c.port, 0);
}

TEST(SidecarCommands, SpawnFillsEveryPortPlaceholderWithOnePort) {
  const SidecarCommand c = spawn_command("side --port {port} --url ws://h:{port}/rpc");
  ASSERT_NE(c.port, 0);
  const std::string port = std::to_string(c.port);
  EXPECT_EQ(c.description, "side --port " + port + " --url ws://h:" + port + "/rpc");
  EXPECT_EQ(c.argv, (std::vector<std::string>{"/bin/sh", "-c", "exec " + c.description}));
  EXPECT_EQ(spawn_command("side").port, 0);
}

TEST(StartSidecar, ReturnsTheUrlOfTheListeningLine) {
  SidecarProcess process;
  const SidecarCommand c =
      spawn_command("sh -c \"echo stand-in listening on ws://127.0.0.1:4711/rpc; exec sleep 30\"");
  const StartResult r = start_sidecar(process, c, "", std::chrono::milliseconds(5000));
  ASSERT_TRUE(r.url) << r.message;
  EXPECT_EQ(r.error, StartError::kNone);
  EXPECT_EQ(r.url->port, 4711);
  process.stop();
}

TEST(StartSidecar, WithoutTheLineAnOpenPortWillDo) {
  SidecarProcess process;
  const SidecarCommand c = spawn_command("/usr/bin/python3 -m http.server --bind 127.0.0.1 {port}");
  const StartResult r = start_sidecar(process, c, "", std::chrono::milliseconds(10000));
  ASSERT_TRUE(r.url) << r.message << "\n" << process.output_tail();
  EXPECT_EQ(r.url->host, "127.0.0.1");
  EXPECT_EQ(r.url->port, c.port);
  EXPECT_EQ(r.url->path, "/rpc");
  process.stop();
}

TEST(StartSidecar, ExitBeforeListeningIsReportedWithItsStatus) {
  SidecarProcess process;
  const StartResult r =
      start_sidecar(process, spawn_command("sh -c 'exit 3'"), "", std::chrono::milliseconds(5000));
  EXPECT_FALSE(r.url);
  EXPECT_EQ(r.error, StartError::kExited);
  EXPECT_EQ(r.message, "exited before listening (exit status 3)");
}

TEST(StartSidecar, SilenceIsATimeout) {
  SidecarProcess process;
  const StartResult r =
      start_sidecar(process, spawn_command("sleep 30"), "", std::chrono::milliseconds(300));
  EXPECT_EQ(r.error, StartError::kTimedOut);
  EXPECT_EQ(r.message, "did not start listening within 300 ms");
  process.stop();
}

TEST(StartSidecar, NoCommandCannotStart) {
  SidecarProcess process;
  const StartResult r =
      start_sidecar(process, SidecarCommand{}, "", std::chrono::milliseconds(300));
  EXPECT_EQ(r.error, StartError::kCannotStart);
  EXPECT_FALSE(r.message.empty());
}

TEST(SidecarSetups, OptionsOfEachSetup) {
  using V = std::vector<std::string>;
  EXPECT_EQ(setup_options(SidecarSetup::kSuite, true),
            (V{"--conformance", "--rate", "500", "--burst", "1000", "--ping-interval-ms", "2000"}));
  EXPECT_EQ(setup_options(SidecarSetup::kSuite, false), (V{"--conformance"}));
  EXPECT_EQ(setup_options(SidecarSetup::kPerformance, true), (V{"--conformance", "--rate", "0"}));
  EXPECT_EQ(setup_options(SidecarSetup::kNoConformance, true),
            (V{"--rate", "500", "--burst", "1000", "--ping-interval-ms", "2000"}));
  EXPECT_EQ(setup_options(SidecarSetup::kNoConformance, false), V{});
}

TEST(SidecarSetups, SpawnPutsTheOptionsInPlace) {
  const std::string options[] = {"--conformance", "--rate", "0"};
  EXPECT_TRUE(takes_options("side {options}"));
  EXPECT_FALSE(takes_options("side --conformance"));
  EXPECT_EQ(spawn_command("side {options} --x", options).description,
            "side --conformance --rate 0 --x");
  EXPECT_EQ(spawn_command("side --conformance", options).description, "side --conformance");
  const SidecarCommand r = reference_command("/bin/sidecar", "/tmp/tok", {}, options);
  EXPECT_EQ(r.argv, (std::vector<std::string>{"/bin/sidecar", "--port", "0", "--token-file",
                                              "/tmp/tok", "--conformance", "--rate", "0"}));
}

// A stand-in that exits on --burst, as a sidecar without the optional options of §1.8 should.
TEST(SidecarSetups, ASidecarThatRefusesTheOptionalOptionsGetsNone) {
  SidecarLauncher launcher = SidecarLauncher::spawn(
      "sh -c 'case \"$*\" in *--burst*) exit 2;; esac; echo \"$*\"; "
      "echo stand-in listening on ws://127.0.0.1:4711/rpc; exec sleep 30' side {options}");
  StartResult failure;
  std::string output;
  std::optional<StartedSidecar> s =
      launcher.start(SidecarSetup::kSuite, "", std::chrono::milliseconds(5000), failure, output);
  ASSERT_TRUE(s) << failure.message;
  EXPECT_FALSE(launcher.optional_options());
  EXPECT_EQ(launcher.notes().size(), 1u);
  EXPECT_TRUE(s->description.ends_with("' side --conformance")) << s->description;
  s->process->stop();
}

TEST_F(TokenFile, TempFileHoldsTheBodyAsGiven) {
  ::setenv("TMPDIR", dir_.c_str(), 1);
  std::string error;
  auto file = write_temp_file("flake-test-body", "  \n\t tok \r\n\n", error);
  ::unsetenv("TMPDIR");
  ASSERT_TRUE(file) << error;
  EXPECT_EQ(contents(file->path()), "  \n\t tok \r\n\n");
}

TEST(StartSpecs, ReferenceAppendsTheCaseOptionsAndCanLeaveOutPortAndTokenFile) {
  const SidecarLauncher launcher = SidecarLauncher::reference("/bin/sidecar", "/tmp/tok", {"-d"});
  EXPECT_TRUE(launcher.composes_command());
  std::string error;
  StartSpec spec;
  spec.optional_options = false;
  spec.extra = {"--port", "7"};
  auto c = launcher.command(spec, error);
  ASSERT_TRUE(c) << error;
  EXPECT_EQ(c->argv, (std::vector<std::string>{"/bin/sidecar", "--port", "0", "--token-file",
                                               "/tmp/tok", "--conformance", "--port", "7", "-d"}));
  spec.without_port = true;
  spec.without_token_file = true;
  spec.extra = {};
  c = launcher.command(spec, error);
  ASSERT_TRUE(c) << error;
  EXPECT_EQ(c->argv, (std::vector<std::string>{"/bin/sidecar", "--conformance", "-d"}));
  EXPECT_EQ(c->description, "/bin/sidecar --conformance -d");
}

TEST(StartSpecs, SpawnPutsTheCaseOptionsAfterTheSuitesAndCannotLeaveOutItsOwn) {
  const SidecarLauncher launcher = SidecarLauncher::spawn("side --port {port} {options}");
  EXPECT_FALSE(launcher.composes_command());
  std::string error;
  StartSpec spec;
  spec.setup = SidecarSetup::kNoConformance;
  spec.extra = {"--rate", "9"};
  auto c = launcher.command(spec, error);
  ASSERT_TRUE(c) << error;
  EXPECT_NE(c->port, 0);  // no --port of the case: the {port} is waited for
  EXPECT_TRUE(c->description.ends_with(" --rate 500 --burst 1000 --ping-interval-ms 2000 --rate 9"))
      << c->description;
  spec.extra = {"--port", "0"};
  c = launcher.command(spec, error);
  ASSERT_TRUE(c) << error;
  EXPECT_EQ(c->port, 0);  // the case's --port wins: the start-up line tells where
  spec.without_token_file = true;
  EXPECT_FALSE(launcher.command(spec, error));
  EXPECT_NE(error.find("--token-file"), std::string::npos) << error;
  const SidecarLauncher fixed = SidecarLauncher::spawn("side --conformance");
  spec = StartSpec{};
  spec.extra = {"--rate", "9"};
  EXPECT_FALSE(fixed.command(spec, error));
}

TEST(StartSpecs, TheProcessGetsTheEnvironmentChangesAndItsStdoutLinesApart) {
  ::setenv("FLAKE_TEST_GONE", "x", 1);
  const SidecarLauncher launcher = SidecarLauncher::spawn(
      "sh -c 'echo \"a=$FLAKE_TEST_SET b=${FLAKE_TEST_GONE-unset}\"; echo to-stderr >&2; "
      "echo stand-in listening on ws://127.0.0.1:4711/rpc; exec sleep 30' side {options}");
  StartSpec spec;
  spec.env = {{"FLAKE_TEST_SET", "yes"}, {"FLAKE_TEST_GONE", std::nullopt}};
  std::string error;
  const StartAttempt a = launcher.start(spec, "", error);
  ::unsetenv("FLAKE_TEST_GONE");
  ASSERT_TRUE(a.process) << error;
  ASSERT_TRUE(a.url) << a.result.message;
  EXPECT_EQ(a.url->port, 4711);
  ASSERT_TRUE(a.process->wait_stdout_lines(1, std::chrono::milliseconds(2000)));
  const std::vector<OutputLine> lines = a.process->stdout_lines();
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0].text, "a=yes b=unset");
  EXPECT_EQ(lines[1].text, "stand-in listening on ws://127.0.0.1:4711/rpc");
  EXPECT_LE(lines[0].at, lines[1].at);
  EXPECT_GE(lines[0].at, a.process->started_at());
  const std::string output = a.process->wait_output(
      [](std::string_view out) { return out.find("to-stderr") != std::string_view::npos; },
      std::chrono::milliseconds(2000));
  EXPECT_NE(output.find("to-stderr"), std::string::npos) << output;
  a.process->stop();
}

TEST(StartSpecs, AFailedStartKeepsItsProcessAndExitStatus) {
  const SidecarLauncher launcher = SidecarLauncher::spawn("sh -c 'exit 4' side {options}");
  StartSpec spec;
  spec.timeout = std::chrono::milliseconds(5000);
  std::string error;
  const StartAttempt a = launcher.start(spec, "", error);
  ASSERT_TRUE(a.process) << error;
  EXPECT_FALSE(a.url);
  EXPECT_EQ(a.result.error, StartError::kExited);
  ASSERT_TRUE(a.process->exit_info());
  EXPECT_EQ(a.process->exit_info()->code, 4);
}

}  // namespace
}  // namespace flake::conform

namespace flake::conform {
namespace {

// §1.2a: the start-up line names wss with TLS; the URL keeps the scheme.
TEST(TlsStarts, AWssStartUpLineIsATlsUrl) {
  SidecarProcess p;
  std::string error;
  ASSERT_TRUE(p.start({"sh", "-c", "echo x listening on wss://127.0.0.1:4712/rpc; exec sleep 30"},
                      "", error))
      << error;
  const auto url = p.wait_listening(std::chrono::milliseconds(5000));
  ASSERT_TRUE(url);
  EXPECT_EQ(url->scheme, "wss");
  EXPECT_EQ(url->port, 4712);
  EXPECT_TRUE(url->tls());
  p.stop();
}

// --tls: the certificate and key go among {options}, kept without the optional options of §1.8,
// their directory elided from descriptions; a ws:// line is then a failure.
TEST(TlsStarts, TheLauncherPassesTheCertificateAndWantsWss) {
  SidecarLauncher launcher = SidecarLauncher::spawn(
      "sh -c 'echo \"$*\"; echo stand-in listening on ws://127.0.0.1:4713/rpc; exec sleep 30' "
      "side {options}");
  launcher.serve_tls("/tmp/pki-dir/chain.pem", "/tmp/pki-dir/key.pem", "/tmp/pki-dir");
  const SidecarCommand c = launcher.command(SidecarSetup::kSuite);
  EXPECT_TRUE(c.tls);
  EXPECT_TRUE(
      c.description.ends_with("--ping-interval-ms 2000 --tls-cert <temporary directory>/chain.pem "
                              "--tls-key <temporary directory>/key.pem"))
      << c.description;
  EXPECT_NE(c.argv[2].find("--tls-cert /tmp/pki-dir/chain.pem --tls-key /tmp/pki-dir/key.pem"),
            std::string::npos);
  StartResult failure;
  std::string output;
  EXPECT_FALSE(
      launcher.start(SidecarSetup::kSuite, "", std::chrono::milliseconds(5000), failure, output));
  EXPECT_EQ(failure.error, StartError::kNotTls);
  EXPECT_NE(failure.message.find("listening on ws://127.0.0.1:4713/rpc"), std::string::npos)
      << failure.message;
  EXPECT_NE(failure.message.find("14.2a"), std::string::npos);

  std::string error;
  StartSpec spec;
  spec.without_tls = true;  // §14.1a: a start without a certificate
  const auto plain = launcher.command(spec, error);
  ASSERT_TRUE(plain) << error;
  EXPECT_FALSE(plain->tls);
  EXPECT_EQ(plain->description.find("--tls-cert"), std::string::npos);
}

TEST(TlsStarts, AWssLineSatisfiesATlsStart) {
  SidecarCommand c;
  c.argv = {"sh", "-c", "echo stand-in listening on wss://127.0.0.1:4714/rpc; exec sleep 30"};
  c.tls = true;
  SidecarProcess p;
  const StartResult r = start_sidecar(p, c, "", std::chrono::milliseconds(5000));
  ASSERT_TRUE(r.url) << r.message;
  EXPECT_EQ(r.url->text(), "wss://127.0.0.1:4714/rpc");
  p.stop();
}

}  // namespace
}  // namespace flake::conform
