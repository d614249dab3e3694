#pragma once
// A private ovsdb-server + ovs-vswitchd (dummy datapath) for C++ tests, started, restarted and
// stopped (by pid, on every exit path of a test) by the one launcher the Python tests,
// benchmarks, testbed and demo use: python/vtap/sandbox.py, run as a script (it needs only
// Python's standard library, no build of the vtap package). Skips the test when Open vSwitch
// is not installed (fails it in CI).

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>

#include "prerequisite.hpp"

#ifndef VTAP_SANDBOX
#error "VTAP_SANDBOX must name python/vtap/sandbox.py (tests/cpp/CMakeLists.txt defines it)"
#endif

namespace vtap::testing {

class OvsProcess {
 public:
  OvsProcess() {
    char tmpl[] = "/tmp/vtap-ovs-XXXXXX";
    dir_ = mkdtemp(tmpl);
    env_ = "OVS_RUNDIR=" + dir_ + " OVS_LOGDIR=" + dir_ + " OVS_DBDIR=" + dir_ + " OVS_SYSCONFDIR=" + dir_ +
           " PATH=$PATH:/usr/sbin ";
    error_ = sandbox("start " + dir_);
  }
  ~OvsProcess() {
    sandbox("stop " + dir_);
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  OvsProcess(const OvsProcess&) = delete;
  OvsProcess& operator=(const OvsProcess&) = delete;

  bool ok() const { return error_.empty(); }
  /// Why it did not start (the launcher's output), or an empty string.
  const std::string& error() const { return error_; }
  const std::string& dir() const { return dir_; }
  bool run(const std::string& command) const { return std::system((env_ + command + " >/dev/null 2>&1").c_str()) == 0; }
  bool vsctl(const std::string& args) const { return run("ovs-vsctl --timeout=20 --db=unix:" + dir_ + "/db.sock " + args); }
  /// An empty bridge: dummy datapath, fail_mode=secure, OpenFlow 1.3-1.5, no flows.
  bool add_bridge(const std::string& name, unsigned dpid) const {
    return sandbox("add-bridge " + dir_ + " " + name + " " + std::to_string(dpid)).empty();
  }
  /// kill -9 ovs-vswitchd and start it again on the same database: bridges come back empty
  /// of flows and groups, as after a crash.
  /// Returns what went wrong, or an empty string.
  std::string crash_and_restart_vswitchd() const { return sandbox("restart-vswitchd " + dir_); }
  std::string mgmt(const std::string& bridge) const { return "unix:" + dir_ + "/" + bridge + ".mgmt"; }
  pid_t pid_of(const char* name) const {
    std::ifstream in(dir_ + "/" + name + ".pid");
    pid_t pid = 0;
    in >> pid;
    return pid;
  }

 private:
  /// `python3 sandbox.py ARGS`: its error output when it fails, else an empty string.
  std::string sandbox(const std::string& args) const {
    const std::string out = dir_ + "/sandbox.out";
    const std::string command = "python3 '" VTAP_SANDBOX "' " + args;
    if (std::system((command + " >" + out + " 2>&1").c_str()) == 0) return {};
    std::ifstream in(out);
    const std::string text(std::istreambuf_iterator<char>(in), {});
    return text.empty() ? command + " failed" : text;
  }

  std::string dir_, env_, error_;
};

/// A fixture that starts a private Open vSwitch for every test (skipped when it is not
/// installed, failed in CI). Derived fixtures call BasicOvsTest::SetUp() first and return if
/// IsSkipped() || HasFatalFailure();
/// parameterised ones derive from BasicOvsTest<::testing::TestWithParam<P>>.
template <class Base = ::testing::Test>
class BasicOvsTest : public Base {
 protected:
  void SetUp() override {
    VTAP_REQUIRE(std::system("command -v ovs-vswitchd >/dev/null 2>&1 || test -x /usr/sbin/ovs-vswitchd") == 0,
                 "Open vSwitch is not installed");
    ovs_ = std::make_unique<OvsProcess>();
    ASSERT_TRUE(ovs_->ok()) << "could not start Open vSwitch in " << ovs_->dir() << ": " << ovs_->error();
  }
  std::unique_ptr<OvsProcess> ovs_;
};
using OvsTest = BasicOvsTest<>;

}  // namespace vtap::testing
