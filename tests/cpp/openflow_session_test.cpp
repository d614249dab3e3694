// The native OpenFlow session against a real ovs-vswitchd: active and passive connections,
// several switches on one io_context, dead-peer detection and time-outs.

#include <gtest/gtest.h>
#include <signal.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "libvtap/model/error.hpp"
#include "libvtap/native/session.hpp"
#include "ovs_process.hpp"

namespace vtap::openflow {
namespace {

using vtap::testing::OvsProcess;

class SessionTest : public vtap::testing::OvsTest {
 protected:
  // Runs the io_context until `done` or 20 s pass.
  void run_until(const bool& done) {
    boost::asio::steady_timer guard(io_, std::chrono::seconds(20));
    guard.async_wait([&](boost::system::error_code ec) {
      if (!ec) io_.stop();
    });
    while (!done && !io_.stopped()) io_.run_one();
    io_.restart();
  }
  std::shared_ptr<Session> connect(const std::string& target, SessionOptions options = {}) {
    std::shared_ptr<Session> session;
    bool done = false;
    Session::async_connect(io_, Target::parse(target), options, [&](std::error_code ec, std::shared_ptr<Session> s) {
      EXPECT_FALSE(ec) << ec.message();
      session = std::move(s);
      done = true;
    });
    run_until(done);
    return session;
  }

  boost::asio::io_context io_;
};

TEST(TargetTest, ParsesOvsOfctlSyntaxAndRejectsTheRest) {
  EXPECT_EQ(Target::parse("tcp:127.0.0.1").to_string(), "tcp:127.0.0.1:6653");
  EXPECT_EQ(Target::parse("ssl:10.0.0.1:6634").to_string(), "ssl:10.0.0.1:6634");
  EXPECT_EQ(Target::parse("tcp:[::1]:7000").to_string(), "tcp:[::1]:7000");
  EXPECT_EQ(Target::parse("unix:/run/br0.mgmt").path, "/run/br0.mgmt");
  for (const char* bad : {"127.0.0.1", "tcp:", "tcp:host.example:6653", "tcp:1.2.3.4:0", "tcp:1.2.3.4:70000", "unix:"})
    EXPECT_THROW(Target::parse(bad), ParseError) << bad;
}

TEST_F(SessionTest, ActiveConnectionsToSeveralSwitchesShareOneIoContext) {
  ASSERT_TRUE(ovs_->add_bridge("br1", 0x11));
  ASSERT_TRUE(ovs_->add_bridge("br2", 0x22));
  ASSERT_TRUE(ovs_->vsctl("set bridge br2 protocols=OpenFlow13"));
  std::map<std::string, std::pair<std::uint64_t, Version>> seen;
  int remaining = 2;
  for (const char* br : {"br1", "br2"}) {
    Session::async_connect(io_, Target::parse(ovs_->mgmt(br)), {}, [&, br](std::error_code ec, std::shared_ptr<Session> s) {
      ASSERT_FALSE(ec) << ec.message();
      s->async_request(MultipartRequest{0, PortDescRequest{}}, [&, br, s](std::error_code ec2, std::vector<Frame> frames) {
        EXPECT_FALSE(ec2) << ec2.message();
        EXPECT_FALSE(frames.empty());
        seen[br] = {s->datapath_id(), s->version()};
        s->close();
        --remaining;
      });
    });
  }
  bool done = false;
  boost::asio::steady_timer poll(io_);
  std::function<void()> check = [&] {
    if (remaining == 0) return void(done = true);
    poll.expires_after(std::chrono::milliseconds(10));
    poll.async_wait([&](boost::system::error_code) { check(); });
  };
  check();
  run_until(done);
  ASSERT_EQ(seen.size(), 2U);
  EXPECT_EQ(seen["br1"], (std::pair<std::uint64_t, Version>{0x11, Version::of15}));
  EXPECT_EQ(seen["br2"], (std::pair<std::uint64_t, Version>{0x22, Version::of13}));
}

TEST_F(SessionTest, ListenerAcceptsASwitchThatConnectsToUs) {
  ASSERT_TRUE(ovs_->add_bridge("br0", 0x42));
  std::shared_ptr<Session> session;
  bool done = false;
  Listener listener(io_, "127.0.0.1", 0, {}, [&](std::error_code ec, std::shared_ptr<Session> s) {
    EXPECT_FALSE(ec) << ec.message();
    session = std::move(s);
    done = true;
  });
  ASSERT_TRUE(ovs_->vsctl("set-controller br0 tcp:127.0.0.1:" + std::to_string(listener.port())));
  run_until(done);
  ASSERT_TRUE(session);
  EXPECT_EQ(session->datapath_id(), 0x42U);
  bool barrier = false;
  session->async_barrier([&](std::error_code ec, std::vector<Frame>) {
    EXPECT_FALSE(ec) << ec.message();
    barrier = true;
  });
  run_until(barrier);
  EXPECT_TRUE(barrier);
  session->close();
  listener.close();
}

TEST_F(SessionTest, ASwitchThatStopsAnsweringIsDeclaredDeadAndRequestsTimeOut) {
  ASSERT_TRUE(ovs_->add_bridge("br0", 1));
  SessionOptions options;
  options.echo_interval = std::chrono::milliseconds(200);
  options.echo_misses = 2;
  options.request_timeout = std::chrono::milliseconds(400);
  auto session = connect(ovs_->mgmt("br0"), options);
  ASSERT_TRUE(session);
  std::error_code closed_with, request_error;
  bool closed = false, answered = false;
  session->on_closed([&](std::error_code ec) {
    closed_with = ec;
    closed = true;
  });
  const pid_t vswitchd = ovs_->pid_of("vswitchd");
  ASSERT_EQ(::kill(vswitchd, SIGSTOP), 0);
  session->async_request(FeaturesRequest{}, [&](std::error_code ec, std::vector<Frame>) {
    request_error = ec;
    answered = true;
  });
  run_until(answered);
  EXPECT_EQ(request_error, make_error_code(SessionError::timed_out));
  run_until(closed);
  ::kill(vswitchd, SIGCONT);
  EXPECT_EQ(closed_with, make_error_code(SessionError::peer_dead));
  EXPECT_FALSE(session->is_open());
}

TEST_F(SessionTest, NoCommonVersionFailsClearly) {
  ASSERT_TRUE(ovs_->add_bridge("br0", 1));
  ASSERT_TRUE(ovs_->vsctl("set bridge br0 protocols=OpenFlow13"));
  SessionOptions options;
  options.versions = {Version::of15};
  std::error_code error;
  bool done = false;
  Session::async_connect(io_, Target::parse(ovs_->mgmt("br0")), options, [&](std::error_code ec, std::shared_ptr<Session> s) {
    error = ec;
    EXPECT_FALSE(s);
    done = true;
  });
  run_until(done);
  EXPECT_EQ(error, make_error_code(SessionError::version_mismatch));
}

}  // namespace
}  // namespace vtap::openflow
